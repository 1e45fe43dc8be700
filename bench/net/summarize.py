#!/usr/bin/env python3
"""Medians and ratios for the bench/net scripts.

Reads the per-repetition JSON lines a script wrote (one per run) and prints one JSON line per
result (the median of every number over the repetitions, plus ratios against nginx where nginx
ran) and then a Markdown table.

    summarize.py http|idle|hybrid RAW.jsonl
"""
import json
import statistics
import sys
from collections import OrderedDict

SERVER_ORDER = ["brigade", "brigade-epoll", "brigade-traced", "nginx", "asio", "asio-inline", "libuv"]


def load(path, bench):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                if r.get("bench") == bench:
                    rows.append(r)
    return rows


def medians(rows, keys):
    """Groups rows by `keys`; each group becomes one dict of medians (first-seen key order)."""
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        m = {"bench": rs[0]["bench"]}
        m.update(zip(keys, key))
        m["reps"] = len(rs)
        for field, value in rs[0].items():
            if field in m or field == "rep":
                continue
            if isinstance(value, (bool, str)) or not isinstance(value, (int, float)):
                if all(x.get(field) == value for x in rs):
                    m[field] = value
                continue
            vals = [x[field] for x in rs if isinstance(x.get(field), (int, float))]
            m["median_" + field] = round(statistics.median(vals), 3)
            if len(vals) > 1:
                m["min_" + field] = round(min(vals), 3)
                m["max_" + field] = round(max(vals), 3)
        out.append(m)
    return out


def server_rank(name):
    return SERVER_ORDER.index(name) if name in SERVER_ORDER else len(SERVER_ORDER)


def ratio(a, b):
    return round(a / b, 2) if a is not None and b not in (None, 0) else None


def fmt(v, digits=1):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def times(v):
    return "–" if v is None else f"{v:.2f}×"


def http(path):
    ms = medians(load(path, "http"), ["server", "pipeline", "conns"])
    ms.sort(key=lambda m: (m["pipeline"], m["conns"], server_rank(m["server"])))
    nginx = {(m["pipeline"], m["conns"]): m for m in ms if m["server"] == "nginx"}
    for m in ms:
        n = nginx.get((m["pipeline"], m["conns"]))
        if n:
            m["req_per_s_vs_nginx"] = ratio(m["median_req_per_s"], n["median_req_per_s"])
            m["cpu_us_per_req_vs_nginx"] = ratio(m["median_cpu_us_per_req"],
                                                 n["median_cpu_us_per_req"])
            m["proc_us_per_req_vs_nginx"] = ratio(m["median_proc_us_per_req"],
                                                    n["median_proc_us_per_req"])
            if m.get("median_p99_us") is not None:
                m["p99_vs_nginx"] = ratio(m["median_p99_us"], n["median_p99_us"])
        print(json.dumps(m))
    print()
    print("Keep-alive, one request at a time per connection (medians; ×: ratio to nginx, "
          "core µs/req lower is better):")
    print()
    print("| server | conns | req/s | × | core µs/req | × | process µs/req | × | p50 ms | p99 ms "
          "| × | other % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in ms:
        if m["pipeline"] != 1:
            continue
        print(f"| {m['server']} | {m['conns']} | {fmt(m['median_req_per_s'], 0)} "
              f"| {times(m.get('req_per_s_vs_nginx'))} | {fmt(m['median_cpu_us_per_req'], 2)} "
              f"| {times(m.get('cpu_us_per_req_vs_nginx'))} "
              f"| {fmt(m['median_proc_us_per_req'], 2)} "
              f"| {times(m.get('proc_us_per_req_vs_nginx'))} | {fmt(m['median_p50_us'] / 1e3, 3)} "
              f"| {fmt(m['median_p99_us'] / 1e3, 2)} | {times(m.get('p99_vs_nginx'))} "
              f"| {fmt(m['median_other_pct'], 0)} |")
    if any(m["pipeline"] != 1 for m in ms):
        print()
        depth = next(m["pipeline"] for m in ms if m["pipeline"] != 1)
        print(f"Pipelined, {depth} requests per write (medians):")
        print()
        print("| server | conns | req/s | × | core µs/req | × | process µs/req | × | other % |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for m in ms:
            if m["pipeline"] == 1:
                continue
            print(f"| {m['server']} | {m['conns']} | {fmt(m['median_req_per_s'], 0)} "
                  f"| {times(m.get('req_per_s_vs_nginx'))} "
                  f"| {fmt(m['median_cpu_us_per_req'], 2)} "
                  f"| {times(m.get('cpu_us_per_req_vs_nginx'))} "
                  f"| {fmt(m['median_proc_us_per_req'], 2)} "
                  f"| {times(m.get('proc_us_per_req_vs_nginx'))} "
                  f"| {fmt(m['median_other_pct'], 0)} |")


def idle(path):
    ms = medians(load(path, "idle"), ["server", "connections"])
    ms.sort(key=lambda m: (m["connections"], server_rank(m["server"])))
    nginx = {m["connections"]: m for m in ms if m["server"] == "nginx"}
    for m in ms:
        n = nginx.get(m["connections"])
        if n:
            m["bytes_per_conn_vs_nginx"] = ratio(m["median_bytes_per_conn"],
                                                 n["median_bytes_per_conn"])
        print(json.dumps(m))
    print()
    print("| server | connections | RSS before (MiB) | RSS holding (MiB) | bytes/conn | × nginx "
          "| brigade target ≤ 1 KiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for m in ms:
        target = ""
        if m["server"].startswith("brigade"):
            target = "met" if m["median_bytes_per_conn"] <= 1024 else "**missed**"
        print(f"| {m['server']} | {m['connections']:,} | {fmt(m['median_rss_before_kb'] / 1024)} "
              f"| {fmt(m['median_rss_after_kb'] / 1024)} | {fmt(m['median_bytes_per_conn'], 0)} "
              f"| {times(m.get('bytes_per_conn_vs_nginx'))} | {target} |")


def hybrid(path):
    ms = medians(load(path, "hybrid"), ["server", "phase"])
    ms.sort(key=lambda m: (server_rank(m["server"]), m["phase"] != "unloaded"))
    by = {(m["server"], m["phase"]): m for m in ms}
    for m in ms:
        base = by.get((m["server"], "unloaded"))
        if m["phase"] == "loaded" and base:
            m["p99_vs_unloaded"] = ratio(m["median_hello_p99_us"], base["median_hello_p99_us"])
        print(json.dumps(m))
    print()
    print("| server | `/` p50 unloaded (ms) | `/` p99 unloaded (ms) | `/` p50 loaded (ms) "
          "| `/` p99 loaded (ms) | p99 loaded / unloaded | /compute req/s | /compute p50 (ms) "
          "| target ≤ 2× |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    servers = OrderedDict((m["server"], None) for m in ms)
    for s in servers:
        u, l = by.get((s, "unloaded")), by.get((s, "loaded"))
        if not u or not l:
            continue
        r = l.get("p99_vs_unloaded")
        target = ""
        if s.startswith("brigade") and r is not None:
            target = "met" if r <= 2 else "**missed**"
        print(f"| {s} | {fmt(u['median_hello_p50_us'] / 1e3, 3)} "
              f"| {fmt(u['median_hello_p99_us'] / 1e3, 3)} "
              f"| {fmt(l['median_hello_p50_us'] / 1e3, 3)} "
              f"| {fmt(l['median_hello_p99_us'] / 1e3, 3)} | {times(r)} "
              f"| {fmt(l['median_compute_req_per_s'], 1)} "
              f"| {fmt(l['median_compute_p50_us'] / 1e3, 1)} | {target} |")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("http", "idle", "hybrid"):
        sys.exit("usage: summarize.py http|idle|hybrid RAW.jsonl")
    {"http": http, "idle": idle, "hybrid": hybrid}[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
