package main

import (
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

func newSchema() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of suite files, for editor completion",
		Long: `schema prints the JSON Schema (draft 2020-12) of a suite file. Point your
editor at it, e.g. with a first line of
  # yaml-language-server: $schema=probe-schema.json`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := suite.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(b, '\n'))
			return err
		},
	}
}
