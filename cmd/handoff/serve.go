package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"time"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/handlers"
)

// serveMetrics adds a worker serving /metrics without a token on ln (the
// HANDOFF_METRICS_ADDR listener, off the public port), and the profiles of
// net/http/pprof when HANDOFF_PPROF is on and ln listens on a loopback
// address only.
func (a *app) serveMetrics(ln net.Listener) {
	// A CPU profile or trace answers after its seconds (30 by default).
	srv := a.httpServer(a.metricsMux(ln.Addr()), 90*time.Second)
	a.addWorker("metrics", func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			_ = srv.Close()
		}()
		a.logger.Info("metrics serving", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// metricsMux serves GET /metrics and, when HANDOFF_PPROF is on and addr is
// a loopback address, /debug/pprof/: the running server's profiles for
// someone on its machine who asked for them (off by default: a sidecar
// sharing the loopback interface could read them), never on the public
// port, nor where the metrics listener is reachable from other machines
// (the container's ":9090").
func (a *app) metricsMux(addr net.Addr) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() && a.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// requestTimeout bounds the work of one request; the server's write
// timeout is longer so the timeout answer still reaches the client.
const requestTimeout = 20 * time.Second

// maxHeaderBytes bounds a request's line and headers together (net/http
// allows a little more, 4 KiB, and answers 431 past it before any handler
// runs). Go's default, 1 MiB, let every request, a bad token's included,
// hold a megabyte of memory and a query string as long; the largest header
// a client of Handoff sends is a Teams bearer token of a few KiB.
const maxHeaderBytes = 32 << 10

// httpServer is the server of every listener, the public port's and the
// metrics': h, with the time a client has to send its headers and its
// whole request, writeTimeout to take the answer, the time an idle
// keep-alive connection is kept, and maxHeaderBytes.
func (a *app) httpServer(h http.Handler, writeTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
}

// listenAndServe serves HTTP on ln and runs the workers until ctx ends, then
// shuts down gracefully: in-flight requests finish (up to 25 s) and the
// workers stop.
func (a *app) listenAndServe(ctx context.Context, ln net.Listener) error {
	srv := a.httpServer(handlers.Instrument(a.mux, a.metrics,
		handlers.Middleware(a.logger, a.mux, handlers.Timeout(handlers.Router(a.mux), requestTimeout))), 30*time.Second)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runWorker(workCtx, w)
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.logger.Info("handoff serving", "addr", ln.Addr().String(), "database", a.store.Dialect())

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		a.logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		err = srv.Shutdown(shutCtx)
	}
	stopWork()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// runWorker runs w until ctx ends. A panic that escapes the worker's own
// per-record recovery is logged with its stack and counted, and the worker
// starts again after a pause, so no background goroutine can take the
// process (and with it every replica that reads the same data) down.
func (a *app) runWorker(ctx context.Context, w worker) {
	for {
		err, panicked, stack := runRecovered(ctx, w.run)
		if panicked == nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				a.logger.Error("worker stopped", "worker", w.name, "err", err)
			}
			return
		}
		a.metrics.WorkerPanic(w.name)
		a.logger.Error("worker panicked; restarting it", "worker", w.name, "panic", panicked, "stack", stack)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// runRecovered calls run and returns its error, or the value and stack of
// its panic.
func runRecovered(ctx context.Context, run func(context.Context) error) (err error, panicked any, stack string) {
	defer func() {
		if panicked = recover(); panicked != nil {
			stack = string(debug.Stack())
		}
	}()
	return run(ctx), nil, ""
}

func runServe(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg.LogLevel)
	logger.Info("configuration", "config", cfg)
	a, err := newApp(ctx, cfg, logger, func() time.Time { return time.Now().UTC() }, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.MetricsAddr != config.MetricsOff {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (HANDOFF_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		a.serveMetrics(mln)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return a.listenAndServe(ctx, ln)
}
