"""Prints bench/run.sh's results as one table, with each figure beside its
reference and the target from issue 6. Reads the key=value lines run.sh
collected."""

import sys


def load(path):
    results = {}
    for line in open(path):
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if "scenario" in fields:
            results[fields.pop("scenario")] = fields
    return results


def num(results, scenario, key):
    try:
        return float(results[scenario][key])
    except (KeyError, ValueError):
        return float("nan")


def main():
    r = load(sys.argv[1])
    echo = num(r, "echo", "qps")
    etcd_put = num(r, "etcd-put", "qps")
    rows = []

    def ms(scenario, key):
        value = num(r, scenario, key)
        return f"{value:.2f}" if value > 0 else "-"  # ghz reports no p999

    def closed(label, scenario, compare=""):
        rows.append((label, f"{num(r, scenario, 'qps'):,.0f}", ms(scenario, "p50_ms"),
                     ms(scenario, "p99_ms"), ms(scenario, "p999_ms"), compare,
                     r.get(scenario, {}).get("errors", "?")))

    closed("bare gRPC echo", "echo", "reference")
    closed("Get commitment", "get",
           f"{num(r, 'get', 'qps') / echo:.0%} of echo (target >= 80%)")
    in_flight = num(r, "config", "in_flight")
    closed("List 100 of 1M by country", "list",
           f"p99 target < 5 ms; mean = {in_flight:.0f} in flight / QPS = "
           f"{in_flight / num(r, 'list', 'qps') * 1000:.1f} ms")
    closed("  the same, 1 in flight", "list-one", "p99 target < 5 ms")
    closed("durable CreateAlert", "create-alert",
           f"{num(r, 'create-alert', 'qps') / echo:.0%} of echo (>= 65%), "
           f"{num(r, 'create-alert', 'qps') / etcd_put:.2f}x etcd put (>= 1.3x)")
    closed("  with protected details", "create-protected-alert",
           f"{num(r, 'create-protected-alert', 'qps') / num(r, 'create-alert', 'qps'):.0%} "
           "of CreateAlert without (the data key's file and syncs)")
    closed("  sealed on the filer's machine", "create-sealed-alert",
           f"mpowerd CPU per filing {num(r, 'create-sealed-alert-cpu', 'mpowerd_us'):.0f} us, "
           f"{num(r, 'create-protected-alert-cpu', 'mpowerd_us'):.0f} us server-sealed "
           "(target: no more)")
    closed("etcd 3.4 durable put", "etcd-put", "reference")
    closed("etcd 3.4 get", "etcd-get",
           f"mpower Get is {num(r, 'get', 'qps') / num(r, 'etcd-get', 'qps'):.2f}x")
    closed("ghz: bare echo", "ghz-echo", "second opinion")
    closed("ghz: Get commitment", "ghz-get",
           f"{num(r, 'ghz-get', 'qps') / num(r, 'ghz-echo', 'qps'):.0%} of ghz echo")
    closed("gRPC Get, one commitment (ghz)", "grpc-get-one", "reference for HTTP")
    closed("HTTP/JSON Get, the same (hey)", "http-get-one",
           f"{num(r, 'http-get-one', 'qps') / num(r, 'grpc-get-one', 'qps'):.0%} of gRPC")
    closed("gRPC List 100 in ID (ghz)", "grpc-list-id", "reference for HTTP")
    closed("HTTP/JSON List, the same (hey)", "http-list-id",
           f"{num(r, 'http-list-id', 'qps') / num(r, 'grpc-list-id', 'qps'):.0%} of gRPC")
    closed("REST GET of the same one (hey)", "rest-get-one",
           f"{num(r, 'rest-get-one', 'qps') / num(r, 'grpc-get-one', 'qps'):.0%} of gRPC")
    closed("REST GET of the same list (hey)", "rest-list-id",
           f"{num(r, 'rest-list-id', 'qps') / num(r, 'grpc-list-id', 'qps'):.0%} of gRPC")
    closed("ghz: durable CreateAlert", "ghz-create-alert",
           f"{num(r, 'ghz-create-alert', 'qps') / num(r, 'ghz-echo', 'qps'):.0%} of ghz echo")
    if "pg1-get" in r:
        pgbench = num(r, "pgbench-insert", "qps")
        closed("PostgreSQL, 1 replica: Get", "pg1-get",
               f"{num(r, 'pg1-get', 'qps') / num(r, 'get', 'qps'):.0%} of SQLite's Get")
        closed("  List 100 by country", "pg1-list", "")
        closed("  durable CreateAlert", "pg1-create-alert",
               f"{num(r, 'pg1-create-alert', 'qps') / pgbench:.0%} of pgbench's insert "
               "(target >= 50%)")
        closed("  with protected details", "pg1-create-protected-alert", "sealed by the server")
        closed("  sealed on the filer's machine", "pg1-create-sealed-alert",
               f"mpowerd CPU per filing "
               f"{num(r, 'pg1-create-sealed-alert-cpu', 'mpowerd_us'):.0f} us, "
               f"{num(r, 'pg1-create-protected-alert-cpu', 'mpowerd_us'):.0f} us server-sealed "
               "(target: no more)")
        closed("PostgreSQL, 3 replicas: Get", "pg3-get", "round-robin over the three")
        closed("  List 100 by country", "pg3-list", "")
        closed("  durable CreateAlert", "pg3-create-alert",
               f"{num(r, 'pg3-create-alert', 'qps') / pgbench:.0%} of pgbench's insert")
        rows.append(("pgbench single-row insert", f"{pgbench:,.0f}", "-", "-", "-",
                     "the ceiling, same server and concurrency", "-"))
    header = ("scenario", "QPS", "p50 ms", "p99 ms", "p999 ms", "compared", "errors")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("(ghz counts the calls still in flight when its time is up as errors.)")
    print()
    fan = r.get("fanout", {})
    print(f"fan-out: one alert to {fan.get('watchers', '?')} watchers, {fan.get('writes', '?')} "
          f"alerts: p50 {fan.get('p50_ms', '?')} ms, p99 {fan.get('p99_ms', '?')} ms after the "
          f"writer's ack (target p99 < 50 ms), missing {fan.get('missing', '?')}")
    print(f"sync of 100,000 commitments end to end: {num(r, 'sync-100k-first', 'seconds'):.1f} s "
          f"(target < 5 s); again, all unchanged: {num(r, 'sync-100k-again', 'seconds'):.1f} s")
    print(f"memory: idle {num(r, 'idle-rss', 'rss_mb'):.0f} MB (target < 25); with "
          f"{r.get('seed', {}).get('seconds', '?')} s of seeding, 1M commitments: "
          f"{num(r, 'rss-1m', 'rss_mb'):.0f} MB after start, "
          f"{num(r, 'rss-after-load', 'rss_mb'):.0f} MB after the load (target < 120)")
    print(f"start-up on the 1M store: {num(r, 'startup', 'ms'):.0f} ms to serving (target < 300)")
    notify = r.get("notify", {})
    print(f"notifications: one alert to {notify.get('subscriptions', '?')} webhook "
          f"subscriptions, {notify.get('alerts', '?')} alerts: the last delivery p50 "
          f"{notify.get('p50_ms', '?')} ms, p99 {notify.get('p99_ms', '?')} ms after the filer's "
          f"ack (target p99 < 1000 ms); {notify.get('deliveries_per_s', '?')} deliveries/s")
    if "pg-notify" in r:
        notify = r["pg-notify"]
        print(f"PostgreSQL notifications: one alert to {notify.get('subscriptions', '?')} webhook "
              f"subscriptions: the last delivery p50 {notify.get('p50_ms', '?')} ms, p99 "
              f"{notify.get('p99_ms', '?')} ms after the ack; "
              f"{notify.get('deliveries_per_s', '?')} deliveries/s")
    if "pg3-fanout" in r:
        fan = r["pg3-fanout"]
        print(f"PostgreSQL fan-out across replicas: one alert written on one replica to "
              f"{fan.get('watchers', '?')} watchers on the other two, {fan.get('writes', '?')} "
              f"alerts: p50 {fan.get('p50_ms', '?')} ms, p99 {fan.get('p99_ms', '?')} ms after "
              f"the writer's ack (target p99 < 100 ms), missing {fan.get('missing', '?')}")
    seals = [r[f"seal-{n}"] for n in (1, 5, 50) if f"seal-{n}" in r]
    if seals:
        print("end-to-end sealing on the filer's and reader's machine (mpower, one core): "
              + "; ".join(f"{s['recipients']} keys: seal {s['seal_us']} us, open "
                          f"{s['open_us']} us, {s['envelope_bytes']} bytes" for s in seals))
    if "pg1-create-alert-cpu" in r:
        # PostgreSQL, mpowerd and the load generator share this machine's
        # cores: what each spends on one operation bounds the rate.
        print("CPU per operation, microseconds (user + system), PostgreSQL / mpowerd / client:")
        for label, scenario in (
                ("durable CreateAlert, 1 replica", "pg1-create-alert-cpu"),
                ("  protected details sealed by the server", "pg1-create-protected-alert-cpu"),
                ("  sealed on the filer's machine", "pg1-create-sealed-alert-cpu"),
                ("pgbench single-row insert", "pgbench-insert-cpu")):
            cpu = [num(r, scenario, key) for key in ("database_us", "mpowerd_us", "client_us")]
            print(f"  {label}: {cpu[0]:.0f} / {cpu[1]:.0f} / {cpu[2]:.0f}, "
                  f"{sum(cpu):.0f} in all")


if __name__ == "__main__":
    main()
