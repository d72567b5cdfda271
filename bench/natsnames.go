package bench

// The NATS transports (nats.go with -tags nats, nats_off.go without).
const (
	natsPool = "nats-pool"
	natsKV   = "nats-kv"
)
