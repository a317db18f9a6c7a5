package scenarios

import (
	"fmt"

	"github.com/probe-dev/probe/suite"
)

// capture takes the values cs name from res into the run's captures, and
// returns why each one it could not take failed, naming the expression and
// what the response held instead.
func (hr *httpRun) capture(cs []*suite.Capture, res suite.Response) []string {
	var reasons []string
	for _, c := range cs {
		v, err := c.Value(res, hr.jar)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("capture %s: %v", c.Name, err))
			continue
		}
		hr.env.Captures[c.Name] = v
		if c.Secret {
			hr.secrets = hr.secrets.With(v)
		}
	}
	return reasons
}
