#!/usr/bin/env python3
"""Markdown tables from bench/kv/run_kv.sh's JSON lines: kv_server (brigade) against redis."""
import json
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    thr = [r for r in rows if r.get("part") == "throughput"]
    hyb = [r for r in rows if r.get("part") == "hybrid"]
    if thr:
        print("| server | test | -P | req/s | redis req/s | CPU µs/req | redis CPU µs/req "
              "| CPU × redis |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        ours = sorted({r["server"] for r in thr} - {"redis"})
        for p in sorted({r["pipeline"] for r in thr}):
            for t in ["get", "set", "incr", "mset", "mget"]:
                s = next((r for r in thr if r["server"] == "redis" and r["test"] == t
                          and r["pipeline"] == p), None)
                for name in ours:
                    b = next((r for r in thr if r["server"] == name and r["test"] == t
                              and r["pipeline"] == p), None)
                    if not b or not s:
                        continue
                    ratio = (b["cpu_us_per_req"] / s["cpu_us_per_req"]
                             if s["cpu_us_per_req"] else 0)
                    print(f"| {name} | {t} | {p} | {b['rps']:,.0f} | {s['rps']:,.0f} | "
                          f"{b['cpu_us_per_req']:.2f} | {s['cpu_us_per_req']:.2f} | "
                          f"{ratio:.2f} |")
        print()
    if hyb:
        print("| server | KEYS running | KEYS runs (median ms) | GET req/s | p50 ms | p99 ms "
              "| max ms | RSS MiB (loaded) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in hyb:
            keys = (f"{r['keys_runs']} ({r['keys_ms_median']})" if r["keys_running"] else "—")
            rss = f"{r['rss_kib'] / 1024:.0f}" if "rss_kib" in r else ""
            print(f"| {r['server']} | {'yes' if r['keys_running'] else 'no'} | {keys} | "
                  f"{r['rps']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {rss} |")


if __name__ == "__main__":
    main(sys.argv[1])
