"""The review queue: learning from real chats.

Rasa's tracker store (``<data dir>/tracker.sqlite3``, SQL tracker store) holds every conversation. This
module reads it (read-only, plain SQLite: nothing here imports Rasa) and lists for admins the user turns
worth a look:

- ``fallback``: the FallbackClassifier fired (``nlu_fallback``);
- ``low_confidence``: the top intent's confidence was below ``LOW_CONFIDENCE``;
- ``user_corrected``: the user's next message said the bot got it wrong (「不是这个意思」「答非所问」…).

Each item shows the turn masked, the conversation around it (masked), the predicted intent and the
alternatives from the intent ranking. The admin confirms the prediction, corrects the intent, or dismisses
the item; each decision is kept with who and when (``review.sqlite3`` in the data dir, so the queue does
not show it again). Confirmed and corrected turns are appended, masked, to the reviewed NLU file
(``bot/data/nlu/reviewed.yml``) for the next training.

Nothing personal goes into the queue or the training data unmasked: phone numbers, 统一社会信用代码,
ticket numbers and names (the contact names the conversation gave to the bot's forms, and names said as
「我叫…」「我姓…」「…先生/女士/经理/师傅」) are replaced by placeholders of the same shape.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import sqlite_utils
import yaml

from huiqi.errors import Conflict, Invalid, NotFound
from huiqi.rasa_events import HANDBACK_INTENT, STAFF_REPLY_INTENT
from huiqi.settings import REPO_ROOT, Settings, get_settings
from huiqi.text import normalize
from huiqi.vocabulary import TICKET_MASK, TICKET_PATTERN
from ledger import clock
from ledger.actors import Actor

LOW_CONFIDENCE = 0.6
CONTEXT_TURNS = 3  # messages shown before and after the turn
REASONS = {"fallback": "兜底回复（没听懂）", "low_confidence": "意图置信度低", "user_corrected": "用户纠正（不是这个意思）"}
DECISIONS = ("confirm", "correct", "dismiss")
REVIEWED_NLU = REPO_ROOT / "bot" / "data" / "nlu" / "reviewed.yml"
NLU_DIR = REPO_ROOT / "bot" / "data" / "nlu"
NOT_TRAINABLE = {"nlu_fallback", HANDBACK_INTENT, STAFF_REPLY_INTENT, "EXTERNAL_policy_push"}
# The user says the bot misunderstood the previous message.
USER_CORRECTS = re.compile(r"不是这个意思|不是这意思|你理解错了|理解错了|答非所问|不是问这个|我不是问|我问的不是|我说的不是|"
                           r"你没听懂|没听懂我|牛头不对马嘴|我是说")

PHONE_MASK, CODE_MASK, NAME_MASK = "13800000000", "91000000000000000X", "某某"
_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)")
_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}(?![0-9A-Za-z])")
_SAID_NAME = re.compile(r"(我叫|我姓|我是|叫我|联系人[:：]?|姓名[:：]?)([\u4e00-\u9fff]{1,3})")
_TITLED_NAME = re.compile(r"[\u4e00-\u9fff]{1,2}(?=先生|女士|小姐|经理|师傅|老板|总|主任|科长|局长)")
NAME_SLOTS = ("contact_name",)


def mask(text: str, names: Iterable[str] = (), said_by_user: bool = True) -> str:
    """The text with phones, credit codes, ticket numbers and names replaced by same-shape placeholders
    (names said as 「我叫…」「…经理」 are looked for in what the user wrote, not in the bot's own questions)."""
    out = TICKET_PATTERN.sub(TICKET_MASK, text or "")
    out = _CODE.sub(CODE_MASK, out)
    out = _PHONE.sub(PHONE_MASK, out)
    for name in sorted({n for n in names if n and len(n) >= 1}, key=len, reverse=True):
        out = out.replace(name, NAME_MASK)
    if not said_by_user:
        return out
    out = _SAID_NAME.sub(lambda m: m.group(1) + NAME_MASK, out)
    return _TITLED_NAME.sub(NAME_MASK[0], out)


def review_db(settings: Settings | None = None) -> sqlite_utils.Database:
    s = settings or get_settings()
    db = sqlite_utils.Database(s.data_dir / "review.sqlite3")
    if "decisions" not in db.table_names():
        db["decisions"].create({"event_id": int, "conversation": str, "decision": str, "predicted": str,
                                "intent": str, "text": str, "by_login": str, "by_name": str, "at": str},
                               pk="event_id")
    return db


def _tracker_rows(settings: Settings) -> list[tuple]:
    path = settings.tracker_store_path
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, sender_id, type_name, timestamp, data FROM events "
                            "WHERE type_name IN ('user', 'bot', 'slot') ORDER BY sender_id, id").fetchall()
    except sqlite3.OperationalError:  # the tracker store has no events table yet
        return []
    finally:
        conn.close()


def _conversations(settings: Settings) -> dict[str, list[dict]]:
    """Per conversation, its user and bot messages in order (and the names given to the forms)."""
    convs: dict[str, list[dict]] = {}
    for event_id, sender, kind, at, data in _tracker_rows(settings):
        d = json.loads(data or "{}")
        msgs = convs.setdefault(sender, [])
        if kind == "slot":
            if d.get("name") in NAME_SLOTS and isinstance(d.get("value"), str):
                msgs.append({"kind": "name", "value": d["value"]})
            continue
        text = d.get("text")
        if not text or (kind == "user" and str(text).startswith("/")):
            continue
        msgs.append({"kind": kind, "event_id": event_id, "at": at, "text": text, "parse": d.get("parse_data") or {}})
    return convs


def _reason(msg: dict, following: dict | None) -> str | None:
    intent = (msg["parse"].get("intent") or {})
    if intent.get("name") == "nlu_fallback":
        return "fallback"
    if following and USER_CORRECTS.search(normalize(following["text"])):
        return "user_corrected"
    if (intent.get("confidence") or 0) < LOW_CONFIDENCE:
        return "low_confidence"
    return None


def _ranking(parse: dict) -> list[dict]:
    return [{"intent": r["name"], "confidence": round(float(r.get("confidence") or 0), 3)}
            for r in parse.get("intent_ranking") or [] if r.get("name") and r["name"] != "nlu_fallback"][:5]


def _when(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return clock.iso(datetime.fromtimestamp(timestamp, tz=timezone.utc))


def conversation_key(sender_id: str) -> str:
    """The conversation as admins see it: a short hash, not the sender id (which may name a person)."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:12]


def queue(settings: Settings | None = None, *, limit: int = 50, include_decided: bool = False) -> list[dict]:
    """Turns to review, newest first, masked, each with the conversation around it."""
    s = settings or get_settings()
    decided = {row["event_id"]: row for row in review_db(s)["decisions"].rows}
    items = []
    for sender, msgs in _conversations(s).items():
        names = [m["value"] for m in msgs if m["kind"] == "name"]
        said = [m for m in msgs if m["kind"] in ("user", "bot")]
        users = [i for i, m in enumerate(said) if m["kind"] == "user"]
        for pos, i in enumerate(users):
            msg = said[i]
            following = said[users[pos + 1]] if pos + 1 < len(users) else None
            reason = _reason(msg, following)
            if not reason or (msg["event_id"] in decided and not include_decided):
                continue
            ranking = _ranking(msg["parse"])
            intent = msg["parse"].get("intent") or {}
            window = said[max(0, i - CONTEXT_TURNS): i + CONTEXT_TURNS + 1]
            items.append({
                "id": msg["event_id"], "conversation": conversation_key(sender), "at": _when(msg["at"]),
                "reason": reason, "reason_label": REASONS[reason], "text": mask(msg["text"], names),
                "predicted": ranking[0]["intent"] if intent.get("name") == "nlu_fallback" and ranking
                else intent.get("name"),
                "confidence": ranking[0]["confidence"] if intent.get("name") == "nlu_fallback" and ranking
                else round(float(intent.get("confidence") or 0), 3), "alternatives": ranking,
                "context": [{"who": "企业" if m["kind"] == "user" else "助手",
                             "text": mask(m["text"], names, said_by_user=m["kind"] == "user"),
                             "this_turn": m is msg} for m in window],
                "decision": decided.get(msg["event_id"]),
            })
    items.sort(key=lambda it: it["id"], reverse=True)
    return items[:limit]


def known_intents() -> set[str]:
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text("utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]} - NOT_TRAINABLE


def decide(actor: Actor, item_id: int, decision: str, intent: str | None = None, *,
           settings: Settings | None = None, nlu_file: Path | None = None) -> dict:
    """Confirm the predicted intent, correct it, or dismiss the turn. Confirmed and corrected turns go,
    masked, into the reviewed NLU file. Each decision is recorded with who and when."""
    s = settings or get_settings()
    if decision not in DECISIONS:
        raise Invalid("INVALID_DECISION", f"处理方式只能是：{'、'.join(DECISIONS)}。", field="decision")
    item = next((it for it in queue(s, limit=10**6, include_decided=True) if it["id"] == item_id), None)
    if item is None:
        raise NotFound("REVIEW_ITEM_NOT_FOUND", "没有找到这条待复核的对话，请刷新列表后重试。")
    if item["decision"]:
        raise Conflict("REVIEW_ITEM_DECIDED", "这条对话已经复核过了。")
    if decision == "confirm":
        intent = item["predicted"]
    if decision == "correct" and not intent:
        raise Invalid("INTENT_REQUIRED", "纠正时请选择正确的意图。", field="intent")
    if decision != "dismiss" and intent not in known_intents():
        raise Invalid("UNKNOWN_INTENT", f"意图“{intent}”不存在，请从列表中选择。", field="intent")
    record = {"event_id": item_id, "conversation": item["conversation"], "decision": decision,
              "predicted": item["predicted"], "intent": intent if decision != "dismiss" else None,
              "text": item["text"], "by_login": actor.ident, "by_name": actor.name, "at": clock.iso(clock.now())}
    if decision != "dismiss":
        add_training_example(item["text"], intent, nlu_file or s.reviewed_nlu_file or REVIEWED_NLU)
    review_db(s)["decisions"].insert(record)
    return record


def _examples_elsewhere(nlu_file: Path) -> set[str]:
    """Example texts in the other NLU files (Rasa's validation fails on one example under two intents)."""
    seen: set[str] = set()
    for path in NLU_DIR.glob("*.yml"):
        if path.resolve() == nlu_file.resolve():
            continue
        for block in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    seen.add(re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line[2:].strip()))
    return seen


def add_training_example(text: str, intent: str, nlu_file: Path) -> bool:
    """Append a (masked) example under its intent in the reviewed NLU file; False when it is already known."""
    text = " ".join(normalize(text).split())
    if not text or text in _examples_elsewhere(nlu_file):
        return False
    data = yaml.safe_load(nlu_file.read_text("utf-8")) if nlu_file.exists() else None
    blocks = {b["intent"]: [l[2:] for l in str(b.get("examples") or "").splitlines() if l.startswith("- ")]
              for b in (data or {}).get("nlu") or []}
    for examples in blocks.values():  # a corrected turn moves to its new intent
        if text in examples:
            examples.remove(text)
    blocks.setdefault(intent, []).append(text)
    lines = ['version: "3.1"', "# Turns from real chats confirmed or corrected by admins in the review queue",
             "# (python -m ledger review, /api/v1/review); masked: phones, credit codes, tickets, names.", "nlu:"]
    for name in sorted(blocks):
        if not blocks[name]:
            continue
        lines += [f"- intent: {name}", "  examples: |"] + [f"    - {e}" for e in blocks[name]]
    nlu_file.write_text("\n".join(lines) + "\n", "utf-8")
    return True
