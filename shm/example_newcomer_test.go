package shm_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/shmkit/shmkit/shm"
)

// An anonymous segment: no name and no file in /dev/shm, freed by the
// kernel when the last process that maps it exits, even after kill -9.
// Children started by package process inherit it; its objects reach them
// as handles (an object's MarshalBinary, or Object.Handle).
func ExampleAnonymous() {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close() // last: every object from seg is invalid afterwards

	obj, err := seg.Alloc("greeting", 64, 8)
	if err != nil {
		log.Fatal(err)
	}
	copy(obj.Bytes(), "hello")

	found, err := seg.Lookup("greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, %s\n", found.Bytes()[:5], found.Kind())
	_, err = seg.Lookup("missing")
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// hello, bytes
	// true
}

// Open maps a named segment another process created, after checking its
// header; the creator removes the name when no one needs it any more.
func ExampleOpen() {
	const name = "shmkit-example-open"
	creator, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer creator.Unlink()
	defer creator.Close()
	obj, err := creator.Alloc("config", 64, 8)
	if err != nil {
		log.Fatal(err)
	}
	copy(obj.Bytes(), "mode=fast")

	// In another process (here the same one):
	seg, err := shm.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	cfg, err := seg.Lookup("config")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", cfg.Bytes()[:9])

	_, err = shm.Open("shmkit-example-no-such-segment")
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// mode=fast
	// true
}
