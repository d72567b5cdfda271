package bench

// The charts of a report are drawn by a separate command, cmd/shmkit-plot,
// from the report's JSON: a plotting library linked into the shmkit binary
// would be linked into every peer bench starts, since a peer is that binary
// re-executed (gonum/plot doubled the binary and added most of a millisecond
// of package initialisation to every child's start, the very thing the spawn
// scenario measures). What the charts need from this package is the Report
// type, which reads its own JSON, and the names and units the tables use:

// Label names r's transport and mode as the tables do: "shm-spsc spin".
func (r Result) Label() string { return label(r) }

// FormatSize writes a message size as the tables do: "64 B", "4 KiB".
func FormatSize(n int) string { return fmtSize(n) }

// FormatNs writes a duration in nanoseconds as the tables do: "1.25 µs".
func FormatNs(ns float64) string { return fmtNs(ns) }

// FormatRate writes a rate of unit per second as the tables do:
// FormatRate(2.5e9, "B") is "2.50 GB/s".
func FormatRate(v float64, unit string) string { return fmtRate(v, unit) }
