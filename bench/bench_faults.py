"""Chat under load and under faults, on services started here (own data dir and ports):

- turn latency p50/p95 for 1 business and for N (default 30) businesses filing a complaint at once
  (through the REST channel, anonymous users, every turn timed), tickets filed vs. told, and the CPU
  time the serving Rasa process and the action server spent per turn (less sensitive than wall time
  to the other work on a shared machine);
- restart time of each service after ``kill -9`` (until a new process answers its health check; for Rasa,
  until a new process answers a real turn through the REST channel: the hot standby, see
  huiqi/rasa_standby.py; and, on a second line, until a new standby is loaded again: a cold start);
- the cost of a long message: turns of 100, 2,000 (the cap) and 20,000 / 50,000 characters through
  the channel, beside the NLU cost of the same 20,000 characters through Rasa's /model/parse, which
  bypasses the channel's cap (what every such message cost before it, in this same run).

    .venv/bin/python bench/bench_faults.py [--concurrent 30] [--rounds 3] [--ports 33005,33055,33800]

Each business talks on one keep-alive connection, as a browser does, and follows the form by the bot's
questions (their named responses in domain.yml), so the load is the businesses' turns only: before, each
turn opened a new connection (about 21 ms of this client's CPU, on the same two cores as the services) and
asked Rasa's tracker endpoint which slot was requested (a second Rasa request per turn). The client's own
CPU per turn is printed beside the services'. The N concurrent businesses run ``--rounds`` times; each
round and the pooled turns are printed.

Targets (issue 17): p95 <= 1 s at 30 concurrent businesses; each service back within 15 s; 0 lost, 0 duplicated.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

ANSWERS = {"complaint_category": "审批服务", "contact_name": "王经理", "contact_phone": "13919191234",
           "complaint_credit_code": "跳过", "complaint_confirmed": "确认"}
MAX_FORM_TURNS = 10


def form_prompts() -> dict[str, str]:
    """Slot -> the fixed opening of the bot's question for it (domain.yml, up to the first placeholder)."""
    import yaml

    responses = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))["responses"]
    names = {slot: f"utter_ask_{slot}" for slot in ANSWERS}
    names["complaint_confirmed"] = "utter_complaint_summary"  # asked by action_ask_complaint_confirmed
    return {slot: responses[name][0]["text"].split("{")[0] for slot, name in names.items()}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")


class Bench:
    def __init__(self, rasa_port: int, action_port: int, api_port: int):
        self.data = ROOT / "var" / "bench-faults"
        self.env = dict(os.environ, HUIQI_DATA_DIR=str(self.data), HUIQI_RASA_PORT=str(rasa_port),
                        HUIQI_ACTION_PORT=str(action_port), HUIQI_API_PORT=str(api_port), HUIQI_DEMO_MODE="1",
                        HUIQI_RASA_MODELS_DIR=str(ROOT / "var" / "rasa-models"), PYTHONPATH=str(ROOT))
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("HUIQI_")})
        from huiqi.settings import get_settings
        get_settings.cache_clear()
        self.s = get_settings()
        self.prompts = form_prompts()
        self.tracker_lookups = 0

    def sh(self, *args: str) -> None:
        subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)

    def up(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)
        self.sh("-m", "ledger", "seed-demo")
        self.sh("-m", "huiqi.services", "up")

    def down(self) -> None:
        subprocess.run([sys.executable, "-m", "huiqi.services", "stop"], cwd=ROOT, env=self.env,
                       stdout=subprocess.DEVNULL)

    # ------------------------------------------------------------------ chat
    def say(self, sender: str, text: str, timings: list | None = None, client: httpx.Client | None = None
            ) -> list[dict]:
        t0 = time.perf_counter()
        r = (client or httpx).post(f"{self.s.rasa_url}/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text}, timeout=300)
        if timings is not None:
            timings.append(time.perf_counter() - t0)
        return r.json() if r.status_code == 200 else []

    def requested_slot(self, sender: str, reply: list[dict], client: httpx.Client) -> str | None:
        """The form slot the bot's reply asks for, read from the reply as a user reads it (the question's
        named response in the domain); Rasa's tracker endpoint only when the reply is not one of them."""
        if any("工单号：" in (m.get("text") or "") for m in reply):
            return None  # filed: the form is over
        for message in reversed(reply):
            for slot, prompt in self.prompts.items():
                if (message.get("text") or "").startswith(prompt):
                    return slot
        self.tracker_lookups += 1
        t = client.get(f"{self.s.rasa_url}/conversations/{sender}/tracker",
                       params={"token": self.s.rasa_api_token()}, timeout=300).json()
        return t["slots"].get("requested_slot") if (t.get("active_loop") or {}).get("name") else None

    def conversation(self, i: int, timings: list, told: list) -> None:
        """One business filing a complaint, on one keep-alive connection as a browser keeps one."""
        sender = f"bench-{uuid.uuid4().hex}"
        answers = {**ANSWERS, "complaint_description": f"道路运输证换证拖了两个月还没办下来，第{i}家企业"}
        with httpx.Client() as client:
            reply = self.say(sender, f"我要反映问题：{answers['complaint_description']}", timings, client)
            for _ in range(MAX_FORM_TURNS):
                slot = self.requested_slot(sender, reply, client)
                if slot is None:
                    break
                reply = self.say(sender, answers[slot], timings, client)
        text = "\n".join(m.get("text") or "" for m in reply)
        told.extend(w.split("。")[0] for w in text.split("工单号：")[1:])

    def cpu_seconds(self) -> dict:
        """CPU time (user + system) used so far by the serving Rasa process and the action server."""
        out = {}
        for name, pid_name in (("rasa", "rasa"), ("actions", "actions")):
            pid = int((self.s.data_dir / "run" / f"{pid_name}.pid").read_text())
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def wait_for_standby(self) -> None:
        """The Rasa standby loads after the other services start: measure nothing while it competes for CPU."""
        from huiqi.rasa_standby import ready_standbys
        deadline = time.perf_counter() + 600
        while self.s.rasa_processes > 1 and not ready_standbys(self.s.data_dir / "run" / "rasa.pid"):
            if time.perf_counter() > deadline:
                raise SystemExit("the Rasa standby was not loaded within 600 s")
            time.sleep(0.5)

    def load(self, n: int) -> dict:
        timings: list[float] = []
        told: list[str] = []
        before = self.count()
        lookups = self.tracker_lookups
        cpu = self.cpu_seconds()
        own = time.process_time()
        threads = [threading.Thread(target=self.conversation, args=(i, timings, told)) for i in range(n)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        used = {k: v - cpu[k] for k, v in self.cpu_seconds().items()}
        own = time.process_time() - own
        return {"timings": timings, "turns": len(timings), "p50": pct(timings, 50), "p95": pct(timings, 95), "wall": wall,
                "told": len(told), "distinct": len(set(told)), "filed": self.count() - before,
                "rasa_cpu": used["rasa"], "actions_cpu": used["actions"], "client_cpu": own,
                "tracker_lookups": self.tracker_lookups - lookups}

    def count(self) -> int:
        conn = sqlite3.connect(f"file:{self.s.ledger_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM problems").fetchone()[0]
        finally:
            conn.close()

    # ------------------------------------------------------------------ faults
    def rasa_takeover(self) -> tuple[float, float]:
        """kill -9 of the serving Rasa process: seconds until a new process answers a real turn, and until
        a new standby is loaded again (the cold start the standby hides)."""
        from huiqi.rasa_standby import ready_standbys
        serving = self.s.data_dir / "run" / "rasa.pid"
        deadline = time.perf_counter() + 600
        while not ready_standbys(serving) and time.perf_counter() < deadline:  # the standby must be loaded
            time.sleep(0.5)
        old = int(serving.read_text())
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        answered = standby = float("inf")
        while time.perf_counter() - t0 < 600 and standby == float("inf"):
            if answered == float("inf"):
                try:
                    if int(serving.read_text()) != old and self.say(f"bench-back-{uuid.uuid4().hex}", "你好"):
                        answered = time.perf_counter() - t0
                except (httpx.HTTPError, ValueError, OSError):
                    pass
            elif ready_standbys(serving):
                standby = time.perf_counter() - t0
            time.sleep(0.2)
        return answered, standby

    def restart_time(self, service: str) -> float:
        pid_file = self.s.data_dir / "run" / f"{service}.pid"
        old = int(pid_file.read_text())
        url = {"rasa": f"{self.s.rasa_url}/healthz", "api": f"{self.s.api_url}/healthz",
               "actions": self.s.action_url.rsplit("/", 1)[0] + "/healthz"}[service]
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        while time.perf_counter() - t0 < 600:
            try:
                if int(pid_file.read_text()) != old and httpx.get(url, timeout=5).status_code == 200:
                    return time.perf_counter() - t0
            except (httpx.HTTPError, ValueError, OSError):
                pass
            time.sleep(0.2)
        return float("inf")

    # ------------------------------------------------------------------ long messages
    def long_turns(self) -> dict:
        out = {}
        for n in (100, 2000, 20_000, 50_000):
            text = ("我们公司的道路运输证年审一直办不下来窗口说材料不齐" * (n // 25 + 1))[:n]
            times: list[float] = []
            self.say(f"bench-long-{uuid.uuid4().hex}", text, times)
            out[f"channel {n}"] = times[0]
        text = ("我们公司的道路运输证年审一直办不下来窗口说材料不齐" * 801)[:20_000]
        t0 = time.perf_counter()
        httpx.post(f"{self.s.rasa_url}/model/parse", params={"token": self.s.rasa_api_token()},
                   json={"text": text}, timeout=300)
        out["uncapped NLU 20000 (/model/parse, before the cap)"] = time.perf_counter() - t0
        return out


def pooled(rounds: list[dict]) -> dict:
    """Rounds of the same load as one sample: turns pooled for the percentiles, counts and CPU summed."""
    timings = [t for r in rounds for t in r["timings"]]
    out = {k: sum(r[k] for r in rounds) for k in rounds[0] if k not in ("timings", "p50", "p95")}
    return {**out, "timings": timings, "p50": pct(timings, 50), "p95": pct(timings, 95)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrent", type=int, default=30)
    ap.add_argument("--ports", default="33005,33055,33800")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of N concurrent businesses, pooled for p50/p95")
    args = ap.parse_args()
    b = Bench(*(int(p) for p in args.ports.split(",")))
    b.up()
    try:
        b.wait_for_standby()
        b.conversation(-1, [], [])  # warm-up
        one = b.load(1)
        one_more = b.load(1)
        single = {k: (one[k] + one_more[k]) / 2 if k in ("p50", "p95") else one[k] + one_more[k] for k in one}
        load_avg = os.getloadavg()[0]
        rounds = [b.load(args.concurrent) for _ in range(args.rounds)]
        many = pooled(rounds)
        print("== chat turns (complaint form, REST channel, anonymous businesses, each on one keep-alive connection)")
        lines = [("1 business (baseline)", single)]
        lines += [(f"{args.concurrent} concurrent, round {i}", r) for i, r in enumerate(rounds, 1)] if args.rounds > 1 else []
        for label, r in lines + [(f"{args.concurrent} concurrent" + (f", {args.rounds} rounds" if args.rounds > 1 else ""), many)]:
            print(f"{label:<24} turns {r['turns']:>4}  p50 {r['p50']:.2f} s  p95 {r['p95']:.2f} s  "
                  f"tickets told {r['told']} distinct {r['distinct']} filed {r['filed']}  "
                  f"CPU per turn: Rasa {r['rasa_cpu'] / r['turns'] * 1000:.0f} ms, "
                  f"actions {r['actions_cpu'] / r['turns'] * 1000:.0f} ms, this client {r['client_cpu'] / r['turns'] * 1000:.0f} ms"
                  f"  (wall {r['wall']:.1f} s, {r['turns'] / r['wall']:.1f} turns/s, tracker lookups {r['tracker_lookups']})")
        print("   target: p95 <= 1 s at 30 concurrent; told == distinct == filed (0 lost, 0 duplicated)")
        print(f"   load average (1 min) before the 30: {load_avg:.1f} on {os.cpu_count()} cores (shared machine)")
        print("== long messages (one turn each)")
        for label, secs in b.long_turns().items():
            print(f"{label:<52} {secs:.2f} s")
        print("== restart after kill -9 (until a new process answers its health check)")
        for service in ("actions", "api"):
            print(f"{service:<8} {b.restart_time(service):.1f} s   (target 15 s)")
        answered, standby = b.rasa_takeover()
        print(f"{'rasa':<8} {answered:.1f} s   (target 15 s; a real turn answered by the hot standby)")
        print(f"{'':<8} {standby:.1f} s   (a new standby loaded again: the cold start of a Rasa process)")
    finally:
        b.down()


if __name__ == "__main__":
    main()
