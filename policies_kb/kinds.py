"""What kind of item a policy passage is, inferred at import with the reason kept.

- ``measure``     an enterprise-facing measure: a benefit, a fee cut, a service convenience or a
                  permit reform a business can use;
- ``commitment``  the department's own commitment or work task (time limits, 帮办代办, 督查 …);
- ``problem``     a problem or rectification entry (问题清单, 整治内容): never shown as a policy;
- ``context``     background, goals, general requirements, organisation and safeguards.

Inference reads the simplified title, heading path and text. The order of the checks is the
order of certainty: a problem list is recognised from its section heading or from the
"整改措施" that follows each problem; context from its section heading (工作目标, 保障措施 …);
what remains is a measure when it states something a business gets (money, a cut, a permit that
is no longer needed, a service it can use) and a commitment otherwise. The reason names the
words that decided, so an admin can see why and change the kind (``PUT /api/v1/policies/{id}``).
"""
from __future__ import annotations

import re

from huiqi.text import normalize
from huiqi.vocabulary import ITEM_KIND_LABELS, ITEM_KINDS

KINDS, KIND_LABELS = ITEM_KINDS, ITEM_KIND_LABELS

_PROBLEM_HEADING = re.compile(r"问题清单|整治内容|存在问题|突出问题|聚焦.{0,20}问题|问题$")
_PROBLEM_TEXT = re.compile(r"整改措施|整改时限|整改目标")
_CONTEXT_HEADING = re.compile(
    r"工作目标|总体要求|指导思想|基本原则|主要目标|总体目标|组织领导|保障措施|组织保障|工作要求|实施步骤|"
    r"工作步骤|进度安排|组织实施|工作机制|强化保障|加强领导|监督考核|宣传引导|背景")
_CONTEXT_TITLE = re.compile(r"^(加强|强化)(组织)?领导|^(加强|强化).{0,6}(保障|督导|考核|宣传)|^压实.{0,4}责任")
# What a business gets: money, a cut, a waiver, a permit it no longer needs, a service it can use.
_BENEFIT = re.compile(
    r"补贴|补助|奖补|奖励|资助|贴息|减免|免收|免征|免于|免除|减半|优惠|降低.{0,6}(费|成本|利率|门槛)|减轻.{0,4}负担|"
    r"延期|展期|延保|续贷|贷款|缓缴|退还|返还|万元|不再.{0,24}(办理|配发|审批|要求|核发|收取|提交)|取消|注销|改为备案|实行备案|"
    r"免申即享|免审即享|不来即享|直达快享|容缺受理|告知承诺|一件事一次办|跨省通办|全程网办|网上可办|掌上办|"
    r"绿色通道|通行证|电子证照|一照通行|无需申请|无需再|不需要|免费|网上办理|在线办理|一次办结|一次办好|即来即办|"
    r"可享受|享受|申请|申报|帮扶|扶持|支持.{0,8}企业")
_WORK_TASK = re.compile(
    r"^(持续|深入|全面|进一步|积极|大力|稳步|加快|着力|扎实)?(推进|推动|推行|深化|加强|强化|健全|完善|建立|建设|落实|开展|"
    r"规范|提升|提高|优化|创新|构建|实施|组织|做好|抓好|督促|探索|严格|严肃|畅通|打造|培育|引导|鼓励)")
_COMMITMENT_TEXT = re.compile(r"督查|督导|考核|评估|通报|工作人员|窗口人员|限时办结|首问负责|一次告知|帮办代办|"
                              r"网民留言|好差评|执法|监管|信用|清单化管理|本局|我局|厅本级")


def _hits(pattern: re.Pattern, text: str, limit: int = 3) -> list[str]:
    seen: list[str] = []
    for m in pattern.finditer(text):
        w = m.group(0)
        if w not in seen:
            seen.append(w)
        if len(seen) >= limit:
            break
    return seen


def infer_kind(title: str, text: str, heading_path: list[str] | None = None) -> tuple[str, str]:
    """``(kind, reason)`` for an item; the reason is Chinese and names what decided."""
    title_s = normalize(title or "")
    text_s = normalize(text or "")
    parents = [normalize(h) for h in (heading_path or [])[:-1]]
    for h in parents:
        if _PROBLEM_HEADING.search(h):
            return "problem", f"所在章节“{h}”是问题清单"
    if _PROBLEM_HEADING.search(title_s) and not _BENEFIT.search(title_s):
        return "problem", f"标题“{title_s}”是问题表述"
    m = _PROBLEM_TEXT.search(text_s)
    if m:
        return "problem", f"正文含“{m.group(0)}”，是问题整改条目"
    for h in parents + [title_s]:
        m = _CONTEXT_HEADING.search(h)
        if m and not (h == title_s and _BENEFIT.search(text_s) and parents):
            return "context", f"所在章节“{h}”是背景或总体要求（{m.group(0)}）"
    if _CONTEXT_TITLE.search(title_s):
        return "context", f"标题“{title_s}”是组织保障类要求"
    benefit = _hits(_BENEFIT, text_s)
    strong = [w for w in benefit if not re.fullmatch(r"申请|申报|享受|电子证照|告知承诺|帮扶", w)]
    task = _WORK_TASK.match(title_s)
    duty = _hits(_COMMITMENT_TEXT, text_s)
    if strong and (not task or len(strong) >= 2 or not duty):
        return "measure", f"正文写明企业可得的{'、'.join(strong)}"
    if task or duty:
        words = ([f"标题以“{task.group(0)}”开头"] if task else []) + ([f"正文含{'、'.join(duty)}"] if duty else [])
        return "commitment", "部门工作任务：" + "；".join(words)
    if benefit:
        return "measure", f"正文写明企业可办理或享受的事项（{'、'.join(benefit)}）"
    return "commitment", "未写明企业可得的具体利益，按部门工作事项处理"
