package demoapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server serves a Shop on a loopback address. It owns its listener so that an
// outage of mode "refuse" can close it (connections are then refused) and
// reopen it on the same address when the outage is lifted.
type Server struct {
	shop     *Shop
	addr     string // the resolved address, fixed after the first listen
	srv      *http.Server
	admin    *http.Server
	adminURL string
	cancel   context.CancelFunc // ends every request's context at shutdown

	mu   sync.Mutex
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup
	err  error
}

// Start listens on addr (like 127.0.0.1:0) and serves shop until ctx ends or
// Close is called. adminAddr, when not empty, also serves the admin endpoints
// there, which stay reachable during a "refuse" outage.
func Start(ctx context.Context, shop *Shop, addr, adminAddr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo shop: listen on %s: %w", addr, err)
	}
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	newSrv := func() *http.Server {
		return &http.Server{Handler: shop, ReadHeaderTimeout: 10 * time.Second,
			BaseContext: func(net.Listener) context.Context { return base }}
	}
	s := &Server{shop: shop, addr: ln.Addr().String(), ln: ln, done: make(chan struct{}), srv: newSrv(), cancel: cancel}
	if adminAddr != "" {
		aln, err := net.Listen("tcp", adminAddr)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("demo shop: listen on admin address %s: %w", adminAddr, err)
		}
		s.admin = newSrv()
		s.serve(s.admin, aln)
		s.adminURL = "http://" + aln.Addr().String()
	}
	shop.mu.Lock()
	shop.onOutage = s.outage
	shop.mu.Unlock()
	s.serve(s.srv, ln)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			s.shutdown()
		case <-s.done:
		}
	}()
	if f := shop.Faults(); f.Outage == OutageRefuse {
		s.outage(f)
	}
	return s, nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
		}
	}()
}

// URL is the shop's base URL, like http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.addr }

// AdminURL is the base URL of the separate admin listener, or "" when there is none.
func (s *Server) AdminURL() string { return s.adminURL }

// Port is the shop's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// outage closes or reopens the listener to match f.
func (s *Server) outage(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	switch {
	case f.Outage == OutageRefuse && s.ln != nil:
		s.ln.Close()
		s.ln = nil
	case f.Outage != OutageRefuse && s.ln == nil:
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.err = fmt.Errorf("demo shop: reopen %s after outage: %w", s.addr, err)
			s.shop.log.Error("reopen after outage", "addr", s.addr, "err", err)
			return
		}
		s.ln = ln
		s.serve(s.srv, ln)
	}
}

func (s *Server) shutdown() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
	}
	close(s.done)
	s.mu.Unlock()
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Requests stalled by injected faults end when their contexts are cancelled.
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	if s.admin != nil {
		if err := s.admin.Shutdown(ctx); err != nil {
			s.admin.Close()
		}
	}
	s.shop.mu.Lock()
	if s.shop.liftAt != nil {
		s.shop.liftAt.Stop()
	}
	s.shop.onOutage = nil
	s.shop.mu.Unlock()
}

// Close stops the server and waits for its goroutines. It returns the first
// serving error, if any.
func (s *Server) Close() error {
	s.shutdown()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
