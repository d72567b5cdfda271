package manager_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/shm"
)

// fmt prints a proxy as its name and size, Python's repr of a proxy
// without its contents: a table may hold a million entries.
func ExampleLocalDict_String() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	d, err := m.Dict("squares", nil)
	if err != nil {
		panic(err)
	}
	squares := manager.Typed[int](d, nil)
	for i := range 3 {
		squares.Set(ctx, fmt.Sprint(i), i*i)
	}
	l, _ := m.List("chars", nil)
	l.Append(ctx, []byte("hello world"))
	ns, _ := m.Namespace("settings")
	ns.Store(ctx, "name", "Bob")
	fmt.Println(d)
	fmt.Println(squares)
	fmt.Println(l)
	fmt.Println(ns)
	// Output:
	// Dict "squares" (3 keys)
	// TypedDict[int]: Dict "squares" (3 keys)
	// List "chars" (1 element)
	// Namespace "settings" (1 field)
}

// A default Dict needs about 1 MiB of shared memory. In a segment too
// small the error says what it needs and the two ways out; SharedBytes
// tells it beforehand.
func ExampleDictOptions_SharedBytes() {
	m, err := manager.New(&manager.Options{Size: 512 << 10})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	_, err = m.Dict("big", nil)
	fmt.Println(errors.Is(err, shm.ErrFull) || errors.Is(err, os.ErrInvalid))

	small := &manager.DictOptions{Entries: 100, Bytes: 64 << 10, MaxValue: 1 << 10}
	need, _ := small.SharedBytes()
	fmt.Println(need < 512<<10)
	_, err = m.Dict("small", small)
	fmt.Println(err)
	// Output:
	// true
	// true
	// <nil>
}
