package ring

import "os"

var errInvalid = os.ErrInvalid
