"""Demo data (only in demo mode): ~20 enterprises, 6 officials + 1 admin, pairings, problems in
various states, chat log-ins. Idempotent: ``python -m ledger seed-demo``.

The log-ins below are for demonstrations only and exist only when HUIQI_DEMO_MODE=1.
"""
from __future__ import annotations

import random
from datetime import timedelta

import sqlite_utils

from huiqi.errors import Conflict, Forbidden
from huiqi.settings import Settings, get_settings
from ledger import clock, credit_code as cc, enterprises as ent, pairings, problems, reminders, staff, workflow
from ledger.actors import SYSTEM, Actor
from ledger.db import one

STAFF = [  # login, name, role, office, password
    ("admin", "刘芳", "admin", "政策法规科", "Admin@2026"),
    ("wangjianguo", "王建国", "leader", "运输服务科", "Leader@2026"),
    ("lixiaomei", "李晓梅", "leader", "行政审批科", "Leader@2026"),
    ("zhangwei", "张伟", "cadre", "运输服务科", "Cadre@2026"),
    ("liuyang", "刘洋", "cadre", "运输服务科", "Cadre@2026"),
    ("chenjing", "陈静", "cadre", "行政审批科", "Cadre@2026"),
    ("zhaolei", "赵磊", "cadre", "行政审批科", "Cadre@2026"),
]

# key, name, industry, size, region, division code, ownership, tags, registered_on, paired official
ENTERPRISES = [
    ("longyun", "甘肃陇运物流集团有限公司", "道路货运", "大", "甘肃省/兰州市/城关区", "620102", "国有", ["冷链运输"], "2003-05-18", "wangjianguo"),
    ("shunda", "兰州顺达货运有限公司", "道路货运", "中", "甘肃省/兰州市/七里河区", "620103", "民营", ["冷链运输"], "2012-09-01", "zhangwei"),
    ("tongda", "兰州西固通达运输有限公司", "道路货运", "小", "甘肃省/兰州市/西固区", "620104", "民营", [], "2016-03-22", "zhangwei"),
    ("jinsui", "榆中县金穗农产品运输有限公司", "道路货运", "微", "甘肃省/兰州市/榆中县", "620123", "民营", ["冷链运输", "新注册"], "2025-06-10", "liuyang"),
    ("kangba", "甘孜州康巴物流有限公司", "道路货运", "小", "四川省/甘孜藏族自治州/康定市", "513301", "民营", [], "2018-11-05", "liuyang"),
    ("anning_repair", "兰州安宁汽车修理厂有限公司", "机动车维修", "小", "甘肃省/兰州市/安宁区", "620105", "民营", [], "2010-04-12", "chenjing"),
    ("changyun", "甘肃长运客运股份有限公司", "道路客运", "大", "甘肃省/兰州市/城关区", "620102", "国有控股", [], "1998-07-01", "wangjianguo"),
    ("erlangshan", "泸定县二郎山客运有限公司", "道路客运", "小", "四川省/甘孜藏族自治州/泸定县", "513322", "民营", [], "2014-08-08", "zhaolei"),
    ("eroad", "兰州e路通网约车服务有限公司", "网约车/出租", "中", "甘肃省/兰州市/城关区", "620102", "民营", ["高新技术"], "2019-02-14", "chenjing"),
    ("liangzhou_taxi", "武威凉州出租汽车有限公司", "网约车/出租", "小", "甘肃省/武威市/凉州区", "620602", "集体", [], "2008-10-10", "zhaolei"),
    ("luqiao", "甘肃路桥第三工程有限公司", "公路工程", "大", "甘肃省/兰州市/安宁区", "620105", "国有", ["高新技术"], "2001-01-15", "lixiaomei"),
    ("anding_road", "定西安定公路养护有限公司", "公路工程", "中", "甘肃省/定西市/安定区", "621102", "国有", [], "2009-06-30", "zhaolei"),
    ("huanghe_ship", "甘肃黄河水运有限公司", "水路运输", "小", "甘肃省/兰州市/城关区", "620102", "民营", [], "2011-05-20", "liuyang"),
    ("yinda_hazmat", "白银银达危险品运输有限公司", "危险货物运输", "中", "甘肃省/白银市/白银区", "620402", "民营", [], "2013-03-03", "zhangwei"),
    ("lugang", "甘肃陆港智慧物流仓储有限公司", "物流仓储", "中", "甘肃省/兰州市/皋兰县", "620122", "国有控股", ["专精特新"], "2017-09-09", "chenjing"),
    ("silu_cold", "酒泉丝路冷链仓储有限公司", "物流仓储", "小", "甘肃省/酒泉市/肃州区", "620902", "民营", ["冷链运输", "专精特新"], "2020-12-01", "liuyang"),
    ("antong_school", "兰州安通驾驶员培训学校有限公司", "驾驶员培训", "小", "甘肃省/兰州市/七里河区", "620103", "民营", [], "2007-04-18", "zhaolei"),
    ("changxing_school", "永登县畅行驾驶培训有限公司", "驾驶员培训", "微", "甘肃省/兰州市/永登县", "620121", "民营", ["新注册"], "2025-03-28", "chenjing"),
    ("tianshui_freight", "天水陇东南货运有限公司", "道路货运", "小", "甘肃省/天水市/秦州区", "620502", "民营", [], "2015-07-07", "zhangwei"),
    ("jiaoke", "兰州交通科技咨询有限公司", "其他", "微", "甘肃省/兰州市/城关区", "620102", "民营", ["高新技术", "新注册"], "2025-09-15", None),
]

ENTERPRISE_PASSWORD = "Qiye@2026"
ENTERPRISE_LOGINS = ("shunda", "anning_repair", "eroad", "kangba", "longyun")


def refuse_outside_demo(password: str, settings: Settings | None = None) -> None:
    """A demo account keeps working only in demo mode: outside it, a log-in with one of the
    published demo passwords is refused, so a demo ledger put into production is not open to anyone
    who has read the README."""
    s = settings or get_settings()
    demo_passwords = {row[4] for row in STAFF} | {ENTERPRISE_PASSWORD}
    if not s.demo_mode and password in demo_passwords:
        raise Forbidden("DEMO_ACCOUNT_DISABLED", "演示账号仅在演示模式下可用，请使用管理员为您开通的正式账号，或请管理员重置密码。")


def credit_code_of(key: str) -> str:
    """The fixed demo credit code of an enterprise (valid GB 32100-2015 check digit)."""
    row = next(e for e in ENTERPRISES if e[0] == key)
    return cc.generate(row[5], random.Random(f"huiqi-demo-{key}"))


def demo_logins() -> list[dict]:
    """The demo log-ins, for the README."""
    out = [{"who": name, "role": role, "office": office, "login": login, "password": pw}
           for login, name, role, office, pw in STAFF]
    out += [{"who": e[1], "role": "enterprise", "login": credit_code_of(e[0]), "password": ENTERPRISE_PASSWORD}
            for e in ENTERPRISES if e[0] in ENTERPRISE_LOGINS]
    return out


def _actor(db, login: str) -> Actor:
    return Actor.from_staff(one(db, "SELECT * FROM staff WHERE login = ?", [login]))


def _problems(db: sqlite_utils.Database, s: Settings) -> int:
    now = clock.now().replace(hour=10, minute=0, second=0)
    ago = lambda days, hours=0: now - timedelta(days=days) + timedelta(hours=hours)  # noqa: E731
    file = lambda key, days, **kw: problems.file_problem(  # noqa: E731
        db, credit_code=credit_code_of(key) if key else None, now=ago(days), settings=s, **kw)["ticket_no"]
    zw, cj, zl, ly = (_actor(db, x) for x in ("zhangwei", "chenjing", "zhaolei", "liuyang"))

    t = file("shunda", 25, category="审批服务", kind="complaint",
             description="道路运输证年审材料上个月就交了，窗口说还在审核，拖了快两个月了，车辆没法正常跑线路。")
    workflow.transition(db, zw, t, "in_progress", note="已联系行政审批科了解进度", now=ago(24), settings=s)
    file("tongda", 15, category="收费", kind="help",
         description="高速公路通行费ETC绿通车辆减免没有到账，想问问找哪个部门处理。")
    file("anning_repair", 3, category="执法检查", kind="complaint",
         description="执法人员上周检查时说我们的危废台账不规范，但没有说明依据，希望给个书面说明。")
    t = file("eroad", 10, category="政策落实", kind="consultation",
             description="网约车平台公司新能源车辆购置补贴今年还有没有，申请需要什么材料？")
    workflow.transition(db, cj, t, "in_progress", now=ago(9), settings=s)
    workflow.reply(db, cj, t, "今年新能源车辆购置补贴仍在执行，材料清单已通过短信发送，请于月底前提交。", now=ago(8), settings=s)
    t = file("jinsui", 20, category="政策落实", kind="help",
             description="我们是新注册的冷链运输企业，想了解鲜活农产品运输绿色通道怎么办理。")
    workflow.transition(db, ly, t, "in_progress", now=ago(19), settings=s)
    workflow.reply(db, ly, t, "已指导企业在全国绿通预约系统完成备案，车辆可享受绿色通道政策。", now=ago(17), settings=s)
    workflow.transition(db, ly, t, "closed", now=ago(16), settings=s)
    workflow.rate(db, Actor.enterprise(credit_code_of("jinsui")), t, "满意", "办得很快，谢谢！", now=ago(15), settings=s)
    t = file("liangzhou_taxi", 12, category="其他", kind="help",
             description="出租车驾驶员从业资格证换证要跑好几个地方，能不能一次办好？")
    workflow.transition(db, zl, t, "in_progress", now=ago(11), settings=s)
    workflow.reply(db, zl, t, "已告知可在政务服务网上办理换证，线下只需到窗口领取一次。", now=ago(9), settings=s)
    workflow.rate(db, Actor.enterprise(credit_code_of("liangzhou_taxi")), t, "不满意", "网上系统登不进去，还是要跑两趟",
                  now=ago(8), settings=s)
    problems.file_problem(db, claimant_name="王师傅", claimant_phone="13893112345", category="收费", kind="consultation",
                          description="个体货车司机，想问一下超限检测站的收费标准是不是统一的？", now=ago(1), settings=s)
    t = file("erlangshan", 30, category="审批服务", kind="help",
             description="新开通的康定至泸定客运班线审批需要跨市协调，请帮忙推动。")
    workflow.transition(db, zl, t, "in_progress", now=ago(29), settings=s)
    workflow.request_extension(db, zl, t, 5, "需与甘孜州交通运输局联合勘验线路，已约定下周勘验", now=ago(12), settings=s)
    reminders.run_reminders(db, settings=s)
    return db.execute("SELECT count(*) FROM problems").fetchone()[0]


def seed_demo(db: sqlite_utils.Database, settings: Settings | None = None) -> dict:
    """Create whatever demo data is missing; refuses outside demo mode."""
    s = settings or get_settings()
    if not s.demo_mode:
        raise Conflict("NOT_DEMO_MODE", "演示数据只能在演示模式下创建，请设置 HUIQI_DEMO_MODE=1 后重试。")
    created = {"staff": 0, "enterprises": 0, "pairings": 0, "accounts": 0, "problems": 0}
    for login, name, role, office, pw in STAFF:
        if one(db, "SELECT 1 AS x FROM staff WHERE login = ?", [login]) is None:
            staff.create_staff(db, SYSTEM, login=login, name=name, role=role, office=office, password=pw,
                               phone=f"0931-86{len(login):02d}{ord(login[0]) % 100:03d}")
            created["staff"] += 1
    admin = _actor(db, "admin")
    for key, name, industry, size, region, division, ownership, tags, registered, official in ENTERPRISES:
        code = credit_code_of(key)
        if one(db, "SELECT 1 AS x FROM enterprises WHERE credit_code = ?", [code]) is None:
            ent.create_enterprise(db, admin, credit_code=code, name=name, industry=industry, size=size, region=region,
                                  ownership=ownership, tags=tags, registered_on=registered,
                                  contact_name="企业联系人", contact_phone=f"1390931{random.Random(key).randint(0, 9999):04d}")
            created["enterprises"] += 1
        if official and pairings.current_official(db, code) is None:
            pairings.pair(db, admin, code, official, "演示数据")
            created["pairings"] += 1
        if key in ENTERPRISE_LOGINS and one(db, "SELECT 1 AS x FROM enterprise_accounts WHERE credit_code = ?",
                                            [code]) is None:
            ent.set_account(db, admin, code, ENTERPRISE_PASSWORD)
            created["accounts"] += 1
    if db.execute("SELECT count(*) FROM problems").fetchone()[0] == 0:
        created["problems"] = _problems(db, s)
    return created
