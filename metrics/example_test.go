package metrics_test

import (
	"context"
	"expvar"
	"fmt"
	"log"

	"github.com/shmkit/shmkit/metrics"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// A queue's counters in expvar: after Publish they are served on
// /debug/vars (import net/http and serve http.DefaultServeMux), read
// fresh at each request.
func ExamplePublish() {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	jobs, err := ring.NewQueue[string](seg, "jobs", &ring.Options{Capacity: 64})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, j := range []string{"resize", "upload"} {
		if err := jobs.Put(ctx, j); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := jobs.Get(ctx); err != nil {
		log.Fatal(err)
	}

	if err := metrics.Publish(metrics.Queue("jobs", jobs)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(expvar.Get("shmkit.queue.jobs"))
	// Output:
	// {"bytes_in":12,"bytes_out":6,"cap":64,"closed":0,"dead_skipped":0,"empty_waits":0,"full_waits":0,"len":1,"messages_in":2,"messages_out":1,"sleeps":0,"wakes":0}
}
