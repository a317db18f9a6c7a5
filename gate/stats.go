package gate

import "math"

// Statistics written out here, so the gate has no dependency to audit: the
// Student t distribution (through the regularized incomplete beta function),
// the normal distribution, and Fisher's exact test.

// tSurvival is P(T > t) for Student's t with df degrees of freedom.
func tSurvival(t, df float64) float64 {
	if math.IsNaN(t) {
		return math.NaN()
	}
	x := df / (df + t*t)
	p := 0.5 * regIncBeta(df/2, 0.5, x)
	if t < 0 {
		return 1 - p
	}
	return p
}

// tQuantile is the t with P(T ≤ t) = p, by bisection on tSurvival.
func tQuantile(p, df float64) float64 {
	lo, hi := -1e3, 1e3
	for range 200 {
		mid := (lo + hi) / 2
		if 1-tSurvival(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by its
// continued fraction (Lentz's method).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	lbeta, _ := math.Lgamma(a + b)
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	front := math.Exp(lbeta - la - lb + a*math.Log(x) + b*math.Log(1-x))
	if x > (a+1)/(a+b+2) {
		return 1 - regIncBeta(b, a, 1-x)
	}
	const tiny = 1e-300
	f, c, d := 1.0, 1.0, 0.0
	for i := 0; i <= 300; i++ {
		m := float64(i / 2)
		var num float64
		switch {
		case i == 0:
			num = 1
		case i%2 == 0:
			num = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
		default:
			num = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
		}
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		d = 1 / d
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		cd := c * d
		f *= cd
		if math.Abs(1-cd) < 1e-12 {
			break
		}
	}
	return front * (f - 1) / a
}

// normalSurvival is P(Z > z) for a standard normal Z.
func normalSurvival(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// fisherGreater is the one-sided p-value of Fisher's exact test that the
// candidate's failure share is greater than the baseline's: the probability,
// with the margins fixed, of the candidate having at least candFail failures.
func fisherGreater(baseFail, baseOK, candFail, candOK int64) float64 {
	n1, n2 := baseFail+baseOK, candFail+candOK
	k := baseFail + candFail // failures in all
	if k == 0 || n2 == 0 || n1 == 0 {
		return 1
	}
	// Hypergeometric: candidate failures X ~ H(N = n1+n2, K = k, n = n2).
	logP := func(x int64) float64 {
		return lchoose(k, x) + lchoose(n1+n2-k, n2-x) - lchoose(n1+n2, n2)
	}
	hi := min(k, n2)
	var p float64
	for x := candFail; x <= hi; x++ {
		p += math.Exp(logP(x))
	}
	return math.Min(p, 1)
}

func lchoose(n, k int64) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// holm adjusts p-values for testing many findings at once (Holm's
// step-down, weighted: Holm, Scand. J. Statistics 1979): the family fails no
// more often than one test at the same level would, and a finding of weight
// w gets w shares of the level. Weights are fixed before the data (by
// metric), so the bound holds. It returns the adjusted p-values in the order
// given; nil weights mean equal ones.
func holm(ps, ws []float64) []float64 {
	if ws == nil {
		ws = make([]float64, len(ps))
		for i := range ws {
			ws[i] = 1
		}
	}
	idx := make([]int, len(ps))
	var total float64
	for i := range idx {
		idx[i] = i
		total += ws[i]
	}
	// Insertion sort by p/w: the lists are short.
	key := func(i int) float64 { return ps[i] / ws[i] }
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && key(idx[j]) < key(idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	out := make([]float64, len(ps))
	running := 0.0
	for _, i := range idx {
		adj := math.Min(1, ps[i]*total/ws[i])
		running = math.Max(running, adj)
		out[i] = running
		total -= ws[i]
	}
	return out
}

// normalQuantile is the z with P(Z ≤ z) = p.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// wilson is the Wilson score interval of x failures in n at z.
func wilson(x, n int64, z float64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	nf, p := float64(n), float64(x)/float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// newcombe bounds the difference of two rates, candidate minus baseline
// (Newcombe's hybrid score interval, Statistics in Medicine 1998, method 10):
// sound at zero counts, where a Wald interval collapses to a point.
func newcombe(bx, bn, cx, cn int64, z float64) (lo, hi float64) {
	pb, pc := float64(bx)/float64(max(bn, 1)), float64(cx)/float64(max(cn, 1))
	lb, ub := wilson(bx, bn, z)
	lc, uc := wilson(cx, cn, z)
	d := pc - pb
	return d - math.Hypot(pc-lc, ub-pb), d + math.Hypot(uc-pc, pb-lb)
}
