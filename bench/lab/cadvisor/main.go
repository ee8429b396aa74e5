// Command lab-cadvisor is cAdvisor for the lab: the library the kubelet embeds (github.com/google/cadvisor/lib,
// release v0.61.0), watching the raw cgroups under one prefix, exported by the library's own Prometheus collector on
// /metrics. cAdvisor's own program (module github.com/google/cadvisor/cmd) is not served by the Go module proxy, so
// this is the minimal glue around the library: a manager over raw cgroups, the collector, an HTTP server. Labels are
// cAdvisor's (`id` = the cgroup path, `name`); the lab's Prometheus derives namespace, pod and container from `id`, as
// the kubelet does from the runtime's cgroup layout.
//
//	lab-cadvisor -listen 127.0.0.1:8194 -prefix /pytuner-lab
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/google/cadvisor/lib/cache/memory"
	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/manager"
	"github.com/google/cadvisor/lib/metrics"
	info "github.com/google/cadvisor/lib/model"
	"github.com/google/cadvisor/lib/utils/sysfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8194", "address of the /metrics endpoint")
	prefix := flag.String("prefix", "/pytuner-lab", "cgroup path prefix of the containers to watch (raw cgroups)")
	housekeeping := flag.Duration("housekeeping", time.Second, "how often each container's stats are read (the kubelet's default is 10s)")
	flag.Parse()

	// CPU only: the lab reads container_cpu_usage_seconds_total, and every other metric kind costs reads of its own.
	included := container.MetricSet{container.CpuUsageMetrics: struct{}{}}
	allowDynamic := false
	m, err := manager.New(memory.New(2*time.Minute, nil), sysfs.NewRealSysFs(), manager.HousekeepingConfig{Interval: housekeeping, AllowDynamic: &allowDynamic}, included, []string{*prefix}, nil, "", 0)
	if err != nil {
		log.Fatalf("cadvisor manager: %v", err)
	}
	if err := m.Start(); err != nil {
		log.Fatalf("cadvisor manager start: %v", err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(metrics.NewPrometheusCollector(m, metrics.DefaultContainerLabels, included, clock.RealClock{}, info.RequestOptions{IdType: "name", Count: 1, Recursive: true}))
	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorLog: log.Default()}))
	log.Printf("lab-cadvisor: watching raw cgroups under %s, serving http://%s/metrics", *prefix, *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
