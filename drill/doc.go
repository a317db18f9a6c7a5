// Package drill runs capacity drills: it steps an open-model rate up until
// the SLO breaks (telling the generator's limit from the target's), refines
// between the last good and the first bad step, finds the knee and the
// bottleneck endpoint, and fits the Universal Scalability Law. The load itself
// comes from a StepRunner (the command wires loadtests to it).
// It imports results only.
package drill
