package manager

import (
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/shm"
)

// The shared-memory table lives in package table; these names keep
// manager's API as it was. LocalDict and List are table's Dict and List
// themselves (aliases: the same types, methods and gob encoding), not
// wrappers.
type (
	// LocalDict is the Dict in shared memory: see table.Dict.
	LocalDict = table.Dict
	// DictOptions size a table at creation: see table.Options.
	DictOptions = table.Options
	// Stats describes a table's use: see table.Stats.
	Stats = table.Stats
	// List is a shared list of byte values: see table.List.
	List = table.List
	// ListOptions size a List: see table.ListOptions.
	ListOptions = table.ListOptions
	// Set is a shared set of strings: see table.Set.
	Set = table.Set
	// SetOptions size a Set: see table.SetOptions.
	SetOptions = table.SetOptions
)

var _ Dict = (*LocalDict)(nil)

// NewDict allocates an empty Dict called name in seg (table.NewDict).
func NewDict(seg *shm.Segment, name string, opts *DictOptions) (*LocalDict, error) {
	return table.NewDict(seg, name, opts)
}

// OpenDict finds the Dict called name in seg (table.OpenDict).
func OpenDict(seg *shm.Segment, name string) (*LocalDict, error) {
	return table.OpenDict(seg, name)
}
