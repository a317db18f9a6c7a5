package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
)

// TestKindsAgreeWithTheSuite: every kind the loader accepts has a runner
// here and every runner a kind, and the same for browser steps, so a kind
// added to one side only fails this test, not a run.
func TestKindsAgreeWithTheSuite(t *testing.T) {
	f, _ := reflect.TypeFor[suite.Scenario]().FieldByName("Kind")
	accepted := strings.Split(f.Tag.Get("enum"), ",")
	var names []string
	for _, k := range kinds {
		names = append(names, k.Name)
	}
	assert.ElementsMatch(t, accepted, names)

	var steps []string
	st := reflect.TypeFor[suite.Step]()
	for i := range st.NumField() {
		if slices.Contains(strings.Split(st.Field(i).Tag.Get("probe"), ","), "oneof") {
			steps = append(steps, strings.Split(st.Field(i).Tag.Get("yaml"), ",")[0])
		}
	}
	runners := []string{"request"} // the step of http scenarios, run by httpCheck
	for k := range stepKinds {
		runners = append(runners, k)
	}
	assert.ElementsMatch(t, steps, runners)
}

func TestCheckRefusesWhatCannotRun(t *testing.T) {
	cases := []struct {
		name string
		sc   *suite.Scenario
		err  string
	}{
		{"a kind without a runner", &suite.Scenario{Name: "x", Kind: "ftp", Source: "s.yaml:3:5"}, `scenario "x" (s.yaml:3:5): no runner for scenarios of kind "ftp"`},
		{"a step without a runner", &suite.Scenario{Name: "y", Kind: suite.KindBrowser, Source: "s.yaml:9:5", Steps: []*suite.Step{{}}}, `scenario "y" (s.yaml:9:5): no runner for the browser step ""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, Check([]*suite.Scenario{tc.sc}), tc.err)
		})
	}
	assert.NoError(t, Check([]*suite.Scenario{{Name: "z", Kind: suite.KindHTTP}}))
	assert.True(t, NeedsBrowser([]*suite.Scenario{{Kind: suite.KindHTTP}, {Kind: suite.KindBrowser}}))
	assert.False(t, NeedsBrowser([]*suite.Scenario{{Kind: suite.KindHTTP}}))
}
