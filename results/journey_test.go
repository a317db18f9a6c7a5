package results

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestArrivalsAndServed: with journeys, the profile's unit is the arrival;
// a journey's steps are not arrivals, and a journey is served when it
// completes.
func TestArrivalsAndServed(t *testing.T) {
	ep := func(name string, requests, errors int64) Endpoint {
		e := NewEndpoint(name, "GET", "/")
		e.Requests, e.Errors = requests, errors
		return e
	}
	single := &Summary{Sent: 100, SendSpan: 9900 * time.Millisecond, Overall: ep("overall", 100, 4), Endpoints: []Endpoint{ep("health", 100, 4)}}
	j := NewJourney("buy", []string{"buy: list", "buy: pay"})
	j.Started, j.Completed, j.FailedAt[1], j.Dropped = 30, 25, 3, 6 // 2 unfinished
	mixed := &Summary{Sent: 80, Planned: 100, Overall: ep("overall", 80, 5), Journeys: []Journey{j},
		Endpoints: []Endpoint{ep("health", 20, 2), ep("buy: list", 30, 0), ep("buy: pay", 30, 3)}}
	for _, tt := range []struct {
		name            string
		s               *Summary
		arrived, served int64
		dropped         int64
		rate            float64 // achieved when 50/s were offered
	}{
		{"single requests", single, 100, 96, 0, 10},
		{"journeys beside single requests", mixed, 50, 43, 6, 25},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.arrived, tt.s.Arrived())
			assert.Equal(t, tt.served, tt.s.Served())
			assert.Equal(t, tt.dropped, tt.s.JourneysDropped())
			assert.InDelta(t, tt.rate, tt.s.ArrivalRate(50), 1e-9)
		})
	}
}
