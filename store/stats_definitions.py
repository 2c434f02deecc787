"""What each statistic means: the words shown on /about and in the data dictionary, and the
categories and thresholds that both the upkeep (store/stats_upkeep.py) and the read functions
(store/stats.py) count by."""
from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "lead_department": "牵头部门：任务已公布时为该抽查任务的发起部门（检查主体）；任务未公布时为检查结果中列出的第一个抽查机关。",
    "year": "年度：抽查任务所属年度；任务未标明年度时，取检查完成日期所在年度。",
    "level": "层级：按检查结果中列出的第一个抽查机关所在行政区划划分，县（市、区）级为“下级”（县区政府有关部门），"
             "市级、省级或未能识别的为“本级”（市政府有关部门本级）。",
    "counting_rule": "计数规则（附件3）：为防止重复统计，抽查批次（抽查任务数）、抽查数量（户，即被检查市场主体的户次）和"
                     "抽查结果公示数量只计入牵头部门；双随机抽查案件数和处罚金额计入作出处罚的每个参与部门。"
                     "按系统内双随机抽查和部门联合抽查、本级和下级分列。涉及市场主体的检查结果均归集至公示系统，"
                     "因此公示数量计入“公示系统”一栏，“专业系统”“部门网站”两栏无数据来源，留空。",
    "joint_share": "联合抽查占比：部门当年牵头的部门联合抽查任务数 ÷ 该部门当年牵头的全部抽查任务数，"
                   "对照不低于10%的目标（随州、乳山实施办法）。联合抽查任务指有两个及以上部门参与的任务。",
    "on_time": "按时公示：公示日期不晚于检查完成日期后第N个工作日（完成当日不计）。工作日按国务院办公厅公布的节假日安排，"
               "含调休上班日。N 为公示地的规定：默认20个工作日（南通），江苏省2021年省级任务为10个工作日，可按来源设定。"
               "超出日历已知年份的日期按周一至周五计算，并标为“估算”。无公示日期的记为“未知”，不计入按时率，单独统计。",
    "problems_found": "发现问题：至少有一个检查事项的结果不是“未发现问题”或“未发现开展本次抽查涉及的经营活动”。",
    "planned_vs_actual": "计划与实际：任务实际检查的市场主体户数，对照其公布的抽取数量（确数须相等；“约”数允许上下10%；"
                         "“不少于”须达到）；公布了检查对象总数时，再对照抽取比例。",
    "burden": "检查负担（进一次门、查多项事）：同一年度被两个及以上抽查任务检查的市场主体数，其检查户次，"
              "以及其中未并入部门联合抽查的户次。",
    "coverage": "名录覆盖率：检查对象名录库中的市场主体在最近1年、3年、5年内（截至有检查数据的最近年度）至少被抽查一次的比例；"
                "5年内从未被抽中的主体单独列出，依江苏省实施方案应提高其被抽中的概率。",
    "credit_link": "信用关联：按市场主体最近一次信用风险分类（A–D，未分类单列）统计当年每百户检查户次和发现问题比例；"
                   "以及检查完成后180日内对同一主体作出的行政处罚和列入经营异常名录。",
    "cases": "双随机抽查案件：检查完成后180日内，参与该次检查的部门对同一主体作出的行政处罚；处罚金额为其罚款金额。",
}

OWN, LOWER = "本级", "下级"  # the level of the first authority's office: city or county
SYSTEM, JOINT = "系统内双随机抽查", "部门联合抽查"
JOINT_TARGET = 0.10
# Nantong's publication deadline; the ingest stores the applicable N on every inspection.
DEFAULT_DEADLINE_DAYS = 20
# The counts summed per task group (StatTaskGroup's columns).
GROUP_COUNTS = ("inspections", "problems_found", "published", "on_time", "late", "publication_unknown",
                "on_time_estimated")
