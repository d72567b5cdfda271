package manager_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/process"
)

type teamsArg struct {
	Teams *manager.TypedDict[*manager.List]
}

// addMember appends to the list the dict holds under "go", in a child: the
// dict gives it a live proxy to the list.
var addMember = process.Register("example.addMember", func(ctx context.Context, a teamsArg) (struct{}, error) {
	team, _, err := a.Teams.Get(ctx, "go")
	if err != nil {
		return struct{}{}, err
	}
	_, err = team.Append(ctx, []byte("carol"))
	return struct{}{}, err
})

// A dict of lists, as CPython's proxies nested in containers:
//
//	teams = manager.dict()
//	teams['go'] = manager.list(['alice', 'bob'])
//	teams['go'].append('carol')   # in another process
//
// A TypedDict of *manager.List stores each list's handle and gives back a
// live proxy: the list itself stays where it is.
func ExampleProxyCodec() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	d, _ := m.Dict("teams", nil)
	teams := manager.Typed[*manager.List](d, nil) // nil: manager.ProxyCodec[manager.List]()
	goTeam, _ := m.List("team-go", nil)
	goTeam.Extend(ctx, []byte("alice"), []byte("bob"))
	teams.Set(ctx, "go", goTeam)

	if _, err := process.Run(ctx, addMember, teamsArg{teams}); err != nil {
		panic(err)
	}
	members, _ := goTeam.Snapshot(ctx)
	for _, name := range members {
		fmt.Println(string(name))
	}
	got, _, _ := teams.Get(ctx, "go")
	fmt.Println(got)
	// Output:
	// alice
	// bob
	// carol
	// List "team-go" (3 elements)
}
