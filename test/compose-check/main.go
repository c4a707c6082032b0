// Command compose-check loads a compose file with the project loader that `docker compose` itself uses
// (github.com/compose-spec/compose-go/v2): interpolation from the environment, schema validation and
// normalisation. It exits 1 with the loader's error when the file would not load, so that CI catches a
// typo'd key or a wrong value without a Docker engine.
//
// Usage: compose-check path/to/docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file>")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(
		[]string{os.Args[1]},
		cli.WithOsEnv,
		// Like docker compose: a .env file beside the compose file supplies variables too.
		cli.WithDotEnv,
		cli.WithName("compose-check"),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	fmt.Printf("ok: %d services (%v)\n", len(project.Services), project.ServiceNames())
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
	os.Exit(1)
}
