package natscluster

import "regexp"

// The key escape, for FuzzKeyEscape.
var (
	EscapeKey   = escapeKey
	UnescapeKey = unescapeKey
)

// nats.go's rule for a key (jetstream's keyValid).
var validKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func ValidNATSKey(k string) bool {
	return k != "" && k[0] != '.' && k[len(k)-1] != '.' && validKeyRe.MatchString(k)
}

// CarriesHandle exposes the handle check.
var CarriesHandle = carriesHandle
