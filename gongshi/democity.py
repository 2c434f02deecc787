"""A deterministic synthetic Nantong-like city, written as published-style files for the ingest.

`generate_city` writes four UTF-8-with-BOM CSV files with the Chinese headers of FORMATS.md:
检查对象名录 (entities), 抽查计划/任务 (tasks), 抽查检查结果 (results, one row per checked item)
and 信用信息 (credit records). It never imports the store; it only writes files.

Everything comes from one `random.Random(seed)`, so a seed gives the same bytes on every run. Rows
are written as they are generated; per entity only a few small integers are kept in compact
arrays (names and 统一社会信用代码 are rebuilt from them), so a million entities fit easily.

`write_checklist` writes the 抽查事项清单 that the tasks draw their items from
(ingest/sample/nantong_checklist.csv is its output).

Run alone: python -m ingest.generate --out DIR --entities N --seed S
"""
from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import math
import operator
import random
from array import array
from dataclasses import dataclass, field
from pathlib import Path

CITY_CODE = "320600"
CITY = "南通市"

# The USCC alphabet (GB 32100-2015) and its weights; the same as stdnum.cn.uscc.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# Organisation code (GB 11714) weights for its own check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

ENTITY_HEADERS = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码", "住所", "行业", "成立日期",
                  "登记状态", "登记机关"]
TASK_HEADERS = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查事项类别",
                "部门联合抽查事项", "抽查依据", "抽查对象范围", "检查主体", "联合检查部门", "抽取比例", "抽取数量",
                "计划抽取日期", "完成时限"]
RESULT_HEADERS = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查事项", "检查结果",
                  "检查完成日期", "公示日期", "后续处置"]
CREDIT_HEADERS = ["统一社会信用代码", "企业名称", "信用信息类别", "决定日期", "决定机关", "事由", "决定书文号",
                  "罚款金额（元）", "风险等级"]
CHECKLIST_HEADERS = ["事项编码", "部门", "抽查类别", "抽查事项", "抽查子项", "事项类别", "抽查依据", "抽查主体",
                     "抽查对象", "检查内容", "抽查比例", "抽查频次", "抽查方式", "参与部门", "备注"]


# --- regions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Region:
    code: str
    full: str          # as it prefixes names: 南通市崇川区, 如皋市
    company: str       # prefix of company names registered locally
    case_abbr: str     # in decision numbers: 崇市监处罚〔2023〕12号
    weight: float
    towns: tuple[str, ...]
    roads: tuple[str, ...]


REGIONS: tuple[Region, ...] = (
    Region("320602", "南通市崇川区", "南通", "崇", 0.22,
           ("和平桥街道", "城东街道", "观音山街道", "狼山镇街道", "钟秀街道", "唐闸镇街道", "秦灶街道", "陈桥街道"),
           ("工农路", "人民中路", "青年东路", "南大街", "跃龙路", "城港路", "濠西路", "钟秀中路")),
    Region("320612", "南通市通州区", "南通市通州区", "通州", 0.13,
           ("金沙街道", "先锋街道", "兴东街道", "平潮镇", "石港镇", "川姜镇", "西亭镇"),
           ("建设路", "银河路", "碧华路", "新金路", "世纪大道", "通甲路")),
    Region("320614", "南通市海门区", "南通市海门区", "海门", 0.11,
           ("海门街道", "三厂街道", "临江镇", "悦来镇", "常乐镇", "包场镇"),
           ("北京路", "解放路", "长江路", "人民路", "上海路", "秀山路")),
    Region("320623", "如东县", "如东县", "东", 0.10,
           ("掘港街道", "城中街道", "栟茶镇", "洋口镇", "岔河镇", "马塘镇"),
           ("人民路", "青园路", "珠江路", "江海路", "泰山路")),
    Region("320681", "启东市", "启东市", "启", 0.11,
           ("汇龙镇", "吕四港镇", "南阳镇", "北新镇", "寅阳镇", "海复镇"),
           ("人民路", "和平路", "紫薇路", "牡丹江路", "公园路")),
    Region("320682", "如皋市", "如皋市", "皋", 0.15,
           ("如城街道", "东陈镇", "白蒲镇", "长江镇", "搬经镇", "磨头镇"),
           ("海阳路", "福寿路", "中山路", "益寿路", "宁海路", "大司马路")),
    Region("320685", "海安市", "海安市", "海安", 0.12,
           ("海安街道", "城东镇", "角斜镇", "李堡镇", "曲塘镇", "雅周镇"),
           ("长江路", "宁海路", "中坝路", "黄海大道", "人民路")),
)
_REGION_CUM = [sum(r.weight for r in REGIONS[: i + 1]) for i in range(len(REGIONS))]


# --- departments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Dept:
    abbr: str          # in plan/task/item numbers: 320600-2023-SJ-007, 3206-SJ-001
    name: str          # canonical name without region: 市场监督管理局
    short: str         # as in 联合检查部门: 市监
    district: bool     # has district/county bureaus that carry out inspections
    tasks: tuple[int, int]  # tasks per year (min, max)
    case: str          # decision-number word: 市监处罚
    fines: tuple[int, ...]  # typical fines in yuan


DEPTS: dict[str, Dept] = {d.abbr: d for d in (
    Dept("SJ", "市场监督管理局", "市监", True, (14, 20), "市监处罚",
         (2000, 3000, 5000, 5000, 8000, 10000, 10000, 20000, 30000, 50000, 100000)),
    Dept("HB", "生态环境局", "生态环境", False, (4, 6), "环罚", (20000, 50000, 100000, 150000, 200000, 300000)),
    Dept("WJ", "卫生健康委员会", "卫健", True, (3, 5), "卫罚", (500, 1000, 2000, 3000, 5000, 10000, 20000)),
    Dept("WL", "文化广电和旅游局", "文旅", True, (3, 5), "文旅罚", (2000, 5000, 10000, 20000, 30000)),
    Dept("YJ", "应急管理局", "应急", True, (3, 6), "应急罚", (10000, 20000, 30000, 50000, 100000)),
    Dept("RS", "人力资源和社会保障局", "人社", True, (2, 4), "人社监罚", (2000, 5000, 10000, 20000)),
    Dept("SW", "商务局", "商务", True, (2, 3), "商罚", (1000, 3000, 5000, 10000, 30000)),
    Dept("JT", "交通运输局", "交通", True, (2, 4), "交罚", (1000, 2000, 3000, 5000, 10000)),
    Dept("ZJ", "住房和城乡建设局", "住建", True, (2, 4), "建罚", (5000, 10000, 20000, 30000, 50000)),
    Dept("NY", "农业农村局", "农业农村", True, (3, 5), "农罚", (2000, 5000, 10000, 20000, 50000)),
    Dept("GA", "公安局", "公安", False, (2, 3), "公行罚", (200, 500, 1000, 2000, 5000)),
    Dept("SWJ", "税务局", "税务", True, (1, 2), "税稽罚", (500, 1000, 2000, 5000, 10000)),
)}


def authority(dept: Dept, region: Region | None) -> str:
    """The published name of a department at city level (region None) or in a district."""
    prefix = region.full if region is not None and dept.district else CITY
    if dept.abbr == "SWJ":
        return f"国家税务总局{prefix}{dept.name}"
    return prefix + dept.name


# --- the checklist (抽查事项清单) ---------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One row of the checklist: an 抽查事项 with one 抽查子项."""
    code: str
    dept: str
    category: str
    name: str
    sub_item: str
    key: bool           # 重点检查事项
    basis: str
    objects: str
    content: str
    method: str
    partners: tuple[str, ...]  # dept abbrs named as 参与部门
    tag: str            # which entities it applies to (see INDUSTRIES)
    violations: tuple[str, ...]
    disclosure: bool = False   # an 企业公示 item: its problems are 公示 results
    note: str = ""


def _items() -> list[Item]:
    rows: list[tuple] = [
        # dept, category, name, sub_item, key, basis, objects, content, method, partners, tag, violations
        ("SJ", "企业公示信息检查", "企业公示信息抽查", "企业年度报告公示信息的检查", False,
         "《企业信息公示暂行条例》第十四条", "辖区内企业、农民专业合作社", "年度报告公示信息的真实性、及时性",
         "书面检查、实地核查、网络监测", (), "ent",
         ("公示企业信息隐瞒真实情况、弄虚作假", "未按规定公示年度报告")),
        ("SJ", "企业公示信息检查", "企业公示信息抽查", "企业即时公示信息的检查", False,
         "《企业信息公示暂行条例》第十条、第十四条", "辖区内企业、农民专业合作社",
         "股东出资、股权变更、行政许可取得等即时公示信息的真实性、及时性", "书面检查、实地核查、网络监测", (), "ent",
         ("未按规定履行即时信息公示义务",)),
        ("SJ", "个体工商户公示信息检查", "个体工商户年度报告公示信息抽查", "个体工商户年度报告公示信息的检查", False,
         "《个体工商户年度报告暂行办法》", "辖区内个体工商户", "年度报告公示信息的真实性", "书面检查、实地核查",
         (), "indiv", ("个体工商户年度报告公示信息隐瞒真实情况、弄虚作假",)),
        ("SJ", "食品安全检查", "食品经营者检查", "食品销售者的检查", False,
         "《中华人民共和国食品安全法》第一百一十条", "食品销售经营者",
         "经营资质、进货查验记录、食品贮存条件、标签标识", "现场检查、抽样检验", ("SW",), "food_op",
         ("经营超过保质期的食品", "未按规定建立并遵守进货查验记录制度", "经营标签不符合规定的预包装食品")),
        ("SJ", "食品安全检查", "食品经营者检查", "餐饮服务提供者的检查", False,
         "《中华人民共和国食品安全法》第一百一十条", "餐饮服务提供者",
         "许可资质、从业人员健康管理、原料控制、加工制作过程、餐饮具清洗消毒", "现场检查", ("WJ",), "catering",
         ("餐饮具未按规定清洗消毒", "从业人员未取得健康证明从事接触直接入口食品的工作", "使用超过保质期的食品原料")),
        ("SJ", "食品安全检查", "食品生产者检查", "食品生产者的检查", True,
         "《中华人民共和国食品安全法》第一百一十条；《食品生产经营监督检查管理办法》", "取得食品生产许可证的生产者",
         "生产环境条件、进货查验、生产过程控制、出厂检验、不合格品管理", "现场检查、抽样检验", (), "food_prod",
         ("生产经营不符合食品安全标准的食品", "未按规定进行出厂检验")),
        ("SJ", "特种设备安全检查", "特种设备使用单位检查", "特种设备使用单位的检查", True,
         "《中华人民共和国特种设备安全法》第五十七条", "特种设备使用单位",
         "使用登记、定期检验、安全管理人员和作业人员持证、维护保养", "现场检查", ("YJ",), "special_equip",
         ("使用未经定期检验的特种设备", "特种设备作业人员未取得相应资格", "未按规定办理特种设备使用登记")),
        ("SJ", "产品质量检查", "工业产品生产许可证获证企业检查", "工业产品生产许可证获证企业的检查", False,
         "《中华人民共和国工业产品生产许可证管理条例》", "取得工业产品生产许可证的企业",
         "生产条件、检验能力、产品质量是否持续符合许可条件", "现场检查、抽样检验", (), "industrial_prod",
         ("获证企业生产条件不再符合许可条件", "未在产品或包装上标注生产许可证标志和编号")),
        ("SJ", "产品质量检查", "产品质量监督抽查", "生产领域产品质量的检查", False,
         "《中华人民共和国产品质量法》第十五条", "工业产品生产企业", "产品质量、标识标注", "抽样检验",
         (), "industrial_prod", ("生产不符合保障人体健康和人身、财产安全的国家标准、行业标准的产品",)),
        ("SJ", "计量监督检查", "计量器具检查", "强制检定计量器具使用情况的检查", False,
         "《中华人民共和国计量法》第十八条", "使用强制检定计量器具的单位和个体工商户",
         "强制检定计量器具登记备案、定期检定、使用状况", "现场检查", (), "measure",
         ("使用未经检定或超过检定周期的计量器具", "使用不合格的计量器具")),
        ("SJ", "药品监督检查", "药品经营企业检查", "药品零售企业的检查", True,
         "《中华人民共和国药品管理法》第九十九条", "药品零售企业", "经营资质、购进验收记录、储存条件、处方药销售管理",
         "现场检查", ("WJ",), "drug", ("未凭处方销售处方药", "未按规定储存药品", "购进药品未按规定验收")),
        ("SJ", "医疗器械监督检查", "医疗器械经营企业检查", "第二类、第三类医疗器械经营企业的检查", False,
         "《医疗器械监督管理条例》第七十条", "第二类、第三类医疗器械经营企业", "经营备案或许可、进货查验、贮存条件",
         "现场检查", (), "drug", ("经营未依法注册的医疗器械", "未按规定建立进货查验记录")),
        ("SJ", "化妆品监督检查", "化妆品经营者检查", "化妆品经营者的检查", False,
         "《化妆品监督管理条例》", "化妆品经营者", "进货查验记录、产品标签、贮存条件", "现场检查", (), "cosmetics",
         ("经营标签不符合规定的化妆品", "未按规定建立并执行进货查验记录制度")),
        ("SJ", "广告监督检查", "广告发布行为检查", "互联网广告发布行为的检查", False,
         "《中华人民共和国广告法》第四十九条", "广告经营者、广告发布者", "广告内容真实性、广告审查、广告发布登记",
         "网络监测、书面检查", (), "ad", ("发布虚假广告", "广告使用绝对化用语")),
        ("HB", "污染防治检查", "排污单位检查", "排污单位持证排污情况的检查", False,
         "《中华人民共和国环境保护法》第二十四条；《排污许可管理条例》", "纳入排污许可管理的排污单位",
         "排污许可证执行、自行监测、污染防治设施运行", "现场检查、监测", (), "env",
         ("超过排放标准排放水污染物", "未按照排污许可证规定开展自行监测", "污染防治设施未正常运行")),
        ("HB", "污染防治检查", "建设项目环境保护事中事后检查", "建设项目环境保护“三同时”执行情况的检查", False,
         "《建设项目环境保护管理条例》", "已取得环评批复的建设单位", "环境影响评价、环保设施“三同时”、竣工验收",
         "现场检查、书面检查", (), "env", ("需要配套建设的环境保护设施未经验收即投入生产",)),
        ("HB", "固体废物检查", "危险废物产生单位检查", "危险废物规范化管理情况的检查", True,
         "《中华人民共和国固体废物污染环境防治法》", "危险废物产生单位", "危险废物贮存、转移联单、管理台账",
         "现场检查", ("YJ",), "hazchem", ("未按规定贮存危险废物", "未按规定填写危险废物转移联单")),
        ("HB", "机动车排放检验检查", "机动车排放检验机构检查", "机动车排放检验行为的检查", False,
         "《中华人民共和国大气污染防治法》", "机动车排放检验机构", "检验设备、检验流程、检验数据真实性",
         "现场检查", ("SJ", "GA"), "vehicle_test", ("伪造机动车排放检验结果",)),
        ("WL", "旅游市场检查", "旅行社检查", "旅行社经营行为的检查", False,
         "《中华人民共和国旅游法》第八十五条；《旅行社条例》", "旅行社及其分社、服务网点",
         "经营许可、旅游合同、质量保证金、导游委派", "现场检查、书面检查", ("SJ",), "travel",
         ("未与旅游者订立书面合同", "委派未取得导游证的人员提供导游服务")),
        ("WL", "文化市场检查", "娱乐场所检查", "娱乐场所经营行为的检查", False,
         "《娱乐场所管理条例》", "歌舞娱乐场所、游艺娱乐场所", "经营许可、曲库内容、营业时间、未成年人保护",
         "现场检查", ("GA",), "entertainment", ("未按规定悬挂未成年人禁入标志", "超时营业")),
        ("WL", "文化市场检查", "互联网上网服务营业场所检查", "上网服务营业场所经营行为的检查", False,
         "《互联网上网服务营业场所管理条例》", "互联网上网服务营业场所", "经营许可、实名登记、接纳未成年人",
         "现场检查", ("GA",), "internet_cafe", ("接纳未成年人进入营业场所", "未按规定核对登记上网消费者有效身份证件")),
        ("WJ", "公共场所卫生检查", "公共场所卫生监督检查", "公共场所卫生许可及卫生管理情况的检查", False,
         "《公共场所卫生管理条例》", "住宿、沐浴、美容美发等公共场所", "卫生许可证、从业人员健康证明、卫生检测",
         "现场检查", ("SJ", "GA"), "public_place", ("未取得有效健康合格证明从事直接为顾客服务工作", "未按规定对公共用品用具进行清洗消毒")),
        ("WJ", "医疗卫生检查", "医疗机构依法执业检查", "医疗机构及医务人员执业资质的检查", True,
         "《医疗机构管理条例》", "医疗机构", "执业许可、医务人员资质、医疗废物处置", "现场检查", ("SJ",), "medical",
         ("使用非卫生技术人员从事医疗卫生技术工作", "诊疗活动超出登记范围")),
        ("WJ", "职业卫生检查", "用人单位职业病防治检查", "职业病危害项目申报及职业健康检查情况的检查", False,
         "《中华人民共和国职业病防治法》", "存在职业病危害因素的用人单位", "危害项目申报、职业健康检查、防护设施",
         "现场检查", ("YJ",), "industry_safety", ("未按照规定组织职业健康检查", "未按照规定及时、如实申报职业病危害项目")),
        ("YJ", "危险化学品安全检查", "危险化学品经营企业检查", "危险化学品经营许可及安全管理情况的检查", True,
         "《危险化学品安全管理条例》", "危险化学品经营企业", "经营许可、储存条件、安全管理制度", "现场检查",
         ("HB",), "hazchem", ("未按规定储存危险化学品", "未取得危险化学品经营许可证经营危险化学品")),
        ("YJ", "工贸行业安全生产检查", "工贸企业安全生产检查", "安全生产主体责任落实情况的检查", False,
         "《中华人民共和国安全生产法》第六十五条", "冶金、有色、建材、机械、轻工、纺织等工贸企业",
         "安全生产责任制、安全培训、隐患排查治理", "现场检查", ("SJ",), "industry_safety",
         ("未按规定对从业人员进行安全生产教育和培训", "未建立事故隐患排查治理制度")),
        ("YJ", "工贸行业安全生产检查", "工贸企业安全生产检查", "有限空间作业安全管理情况的检查", False,
         "《中华人民共和国安全生产法》第六十五条；《工贸企业有限空间作业安全规定》", "涉及有限空间作业的工贸企业",
         "有限空间辨识、作业审批、应急救援装备", "现场检查", (), "industry_safety", ("有限空间作业未执行作业审批制度",)),
        ("RS", "劳动保障监察", "用人单位遵守劳动保障法律法规情况检查", "劳动合同签订及工资支付情况的检查", False,
         "《劳动保障监察条例》第十一条", "辖区内用人单位", "劳动合同签订、工资支付、工作时间、社会保险参保",
         "书面检查、现场检查", (), "company", ("未依法与劳动者订立书面劳动合同", "克扣或者无故拖欠劳动者工资")),
        ("RS", "人力资源市场检查", "人力资源服务机构检查", "人力资源服务许可及备案情况的检查", False,
         "《人力资源市场暂行条例》", "经营性人力资源服务机构", "许可备案、服务台账、信息发布、年度报告",
         "现场检查", ("SJ",), "hr", ("未经许可擅自从事职业中介活动", "发布虚假招聘信息")),
        ("SW", "商贸流通检查", "单用途商业预付卡发卡企业检查", "单用途商业预付卡发行与服务情况的检查", False,
         "《单用途商业预付卡管理办法（试行）》", "发行单用途商业预付卡的企业", "备案、预收资金管理、发卡规模",
         "书面检查、现场检查", ("SJ",), "prepaid", ("未按规定办理单用途卡发卡备案",)),
        ("SW", "商贸流通检查", "报废机动车回收企业检查", "报废机动车回收拆解行为的检查", False,
         "《报废机动车回收管理办法》", "报废机动车回收拆解企业", "资质认定、回收拆解记录、“五大总成”管理",
         "现场检查", ("GA", "HB"), "scrap_car", ("未如实记录报废机动车“五大总成”等主要部件的数量、型号、流向",)),
        ("SW", "商贸流通检查", "再生资源回收经营者检查", "再生资源回收经营者备案情况的检查", False,
         "《再生资源回收管理办法》", "再生资源回收经营者", "备案登记、收购台账", "现场检查", (), "scrap_car",
         ("未按规定办理备案",)),
        ("JT", "道路运输检查", "道路货物运输经营者检查", "道路货物运输经营资质及车辆技术管理情况的检查", False,
         "《中华人民共和国道路运输条例》", "道路货物运输经营者", "经营许可、车辆技术档案、驾驶员从业资格",
         "现场检查、书面检查", (), "road_transport", ("使用未取得道路运输证的车辆从事道路运输", "未按规定维护和检测运输车辆")),
        ("JT", "机动车维修检查", "机动车维修经营者检查", "机动车维修经营备案及维修质量管理情况的检查", False,
         "《机动车维修管理规定》", "机动车维修经营者", "经营备案、维修合同、竣工出厂合格证、配件台账",
         "现场检查", ("HB", "SJ"), "car_repair", ("未按规定签发机动车维修竣工出厂合格证", "未建立机动车维修档案")),
        ("JT", "驾驶员培训检查", "机动车驾驶员培训机构检查", "驾驶员培训教学及经营行为的检查", False,
         "《机动车驾驶员培训管理规定》", "机动车驾驶员培训机构", "经营备案、教练员资格、培训学时",
         "现场检查", (), "driving_school", ("未按照规定的培训学时开展培训",)),
        ("ZJ", "房地产市场检查", "房地产开发企业检查", "房地产开发企业资质及商品房销售行为的检查", False,
         "《城市房地产开发经营管理条例》", "房地产开发企业", "开发资质、预售许可、销售明码标价",
         "现场检查、书面检查", (), "real_estate", ("未取得商品房预售许可证预售商品房",)),
        ("ZJ", "房地产市场检查", "房地产经纪机构检查", "房地产经纪机构备案及经纪行为的检查", False,
         "《房地产经纪管理办法》", "房地产经纪机构及其分支机构", "备案、经纪服务合同、信息公示、资金监管",
         "现场检查", ("SJ",), "estate_agency", ("未按规定公示房地产经纪服务项目和收费标准", "发布虚假房源信息")),
        ("ZJ", "建筑市场检查", "建筑施工企业检查", "建筑施工企业资质及安全生产许可条件的检查", False,
         "《建筑施工企业安全生产许可证管理规定》", "建筑施工企业", "企业资质、安全生产许可证、项目管理人员到岗",
         "现场检查", ("RS",), "construction", ("安全生产许可条件不再符合要求", "项目负责人未按规定到岗履职")),
        ("ZJ", "物业管理检查", "物业服务企业检查", "物业服务企业履约及服务行为的检查", False,
         "《物业管理条例》", "物业服务企业", "物业服务合同履行、收费公示、共用部位管理", "现场检查",
         (), "property", ("未按规定公示物业服务收费项目和标准",)),
        ("NY", "农业投入品检查", "农药经营者检查", "农药经营许可及经营行为的检查", False,
         "《农药管理条例》", "农药经营者", "经营许可、采购和销售台账、限制使用农药定点经营",
         "现场检查", ("SJ",), "pesticide", ("未按规定建立农药采购、销售台账", "经营标签不符合规定的农药")),
        ("NY", "农业投入品检查", "种子生产经营者检查", "种子生产经营许可及标签、档案的检查", False,
         "《中华人民共和国种子法》", "种子生产经营者", "生产经营许可、种子标签和使用说明、经营档案",
         "现场检查、抽样检验", (), "seed", ("未按规定建立种子生产经营档案",)),
        ("NY", "农业投入品检查", "兽药经营企业检查", "兽药经营质量管理规范执行情况的检查", False,
         "《兽药管理条例》", "兽药经营企业", "经营许可、购销记录、储存条件", "现场检查", (), "vet_drug",
         ("未按规定建立兽药购销记录",)),
        ("NY", "农业投入品检查", "饲料生产企业检查", "饲料和饲料添加剂生产情况的检查", False,
         "《饲料和饲料添加剂管理条例》", "饲料和饲料添加剂生产企业", "生产许可、原料查验、产品留样",
         "现场检查、抽样检验", (), "feed", ("未按规定实行产品留样观察制度",)),
        ("NY", "农产品质量安全检查", "农产品生产经营主体检查", "农产品质量安全管理情况的检查", False,
         "《中华人民共和国农产品质量安全法》", "农民专业合作社、家庭农场等农产品生产经营主体",
         "农业投入品使用记录、承诺达标合格证开具、农产品生产记录", "现场检查、抽样检验", ("SJ",), "coop",
         ("未按规定建立农产品生产记录",)),
        ("GA", "治安管理检查", "旅馆业治安管理检查", "旅馆业治安管理制度落实情况的检查", False,
         "《旅馆业治安管理办法》", "旅馆、宾馆、酒店", "特种行业许可、旅客住宿登记、安全防范",
         "现场检查", ("WJ", "SJ"), "hotel", ("未按规定登记住宿旅客身份信息",)),
        ("GA", "治安管理检查", "公章刻制业检查", "公章刻制业备案及印章刻制行为的检查", False,
         "《印铸刻字业暂行管理规则》", "公章刻制企业和个体工商户", "备案、印章刻制登记、信息上传",
         "现场检查", (), "seal", ("承制公章未查验有效证明文件",)),
        ("SWJ", "税收征管检查", "发票使用情况检查", "发票领用、开具、保管情况的检查", False,
         "《中华人民共和国发票管理办法》", "辖区内纳税人", "发票领用、开具、取得、保管", "书面检查、实地核查",
         (), "company", ("未按照规定开具发票", "未按规定保管发票")),
    ]
    items: list[Item] = []
    counters: dict[str, int] = {}
    for dept, category, name, sub, key, basis, objects, content, method, partners, tag, violations in rows:
        counters[dept] = counters.get(dept, 0) + 1
        items.append(Item(f"{CITY_CODE[:4]}-{dept}-{counters[dept]:03d}", dept, category, name, sub, key, basis,
                          objects, content, method, partners, tag, violations,
                          disclosure=tag in ("ent", "indiv") and dept == "SJ"))
    return items


ITEMS: list[Item] = _items()
_RATIO_BY_TAG = {"ent": "3%", "indiv": "1%", "company": "3%"}


def write_checklist(path: Path) -> Path:
    """Write the 抽查事项清单 (one row per 抽查子项) as a published-style CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(CHECKLIST_HEADERS)
        for it in ITEMS:
            dept = DEPTS[it.dept]
            body = (f"{CITY}{dept.name}" if not dept.district
                    else f"市、县（市、区）{dept.name}")
            if it.dept == "SWJ":
                body = "国家税务总局南通市及各县（市、区）税务局"
            ratio = "不设上限" if it.key else _RATIO_BY_TAG.get(it.tag, "5%")
            partners = "、".join(DEPTS[p].name for p in it.partners)
            note = "可与参与部门开展联合抽查" if it.partners else ""
            if it.key:
                note = (note + "；" if note else "") + "重点检查事项，抽查比例不设上限"
            w.writerow([it.code, authority(dept, None), it.category, it.name, it.sub_item,
                        "重点检查事项" if it.key else "一般检查事项", it.basis, body, it.objects, it.content,
                        ratio, "1次/年", it.method, partners, note])
    return path


# --- industries and entity names ------------------------------------------------------------

@dataclass(frozen=True)
class Industry:
    kind: str                     # indiv (个体工商户), company (有限/股份), coop (农民专业合作社)
    words: tuple[str, ...]        # the 行业 part of the name, variants
    suffixes: tuple[str, ...]     # 个体: 商店/饭店…; company/coop: unused
    sector: str                   # 行业 (GB/T 4754 division)
    tags: tuple[str, ...]
    weight: float


def _ind(kind, words, suffixes, sector, tags, weight):
    type_tags = {"indiv": ("indiv",), "company": ("ent", "company"), "coop": ("ent", "coop")}[kind]
    return Industry(kind, tuple(words), tuple(suffixes), sector, tuple(tags) + type_tags, weight)


INDUSTRIES: tuple[Industry, ...] = (
    # 个体工商户 (about 60%)
    _ind("indiv", ["百货", "日用百货"], ["商店", "商行", "超市", "便利店"], "零售业", ["food_op", "measure", "prepaid"], 9),
    _ind("indiv", ["副食品", "食品"], ["店", "商店", "经营部"], "零售业", ["food_op"], 6),
    _ind("indiv", [""], ["饭店", "小吃店", "面馆", "餐馆", "快餐店", "烧烤店"], "餐饮业",
         ["catering", "food_op", "prepaid"], 9),
    _ind("indiv", [""], ["药房", "大药房", "药店"], "零售业", ["drug"], 2),
    _ind("indiv", ["五金", "五金建材"], ["店", "商行", "经营部"], "零售业", [], 4),
    _ind("indiv", [""], ["理发店", "美发店", "发艺工作室"], "居民服务业", ["public_place", "prepaid"], 4),
    _ind("indiv", [""], ["美容院", "美容店", "美甲店"], "居民服务业", ["public_place", "cosmetics", "prepaid"], 3),
    _ind("indiv", [""], ["汽车修理部", "汽修店", "汽车维修服务部"], "机动车、电子产品和日用产品修理业",
         ["car_repair"], 2.5),
    _ind("indiv", [""], ["眼镜店"], "零售业", ["measure"], 1),
    _ind("indiv", ["农资"], ["经营部", "店", "门市部"], "零售业", ["pesticide", "seed"], 1.5),
    _ind("indiv", ["服装", "服饰"], ["店", "商行"], "零售业", [], 5),
    _ind("indiv", ["家纺", "床上用品"], ["店", "经营部", "商行"], "批发业", [], 3),
    _ind("indiv", [""], ["网吧"], "娱乐业", ["internet_cafe"], 0.4),
    _ind("indiv", [""], ["旅馆", "宾馆", "旅社"], "住宿业", ["hotel", "public_place"], 1.2),
    _ind("indiv", [""], ["刻章店"], "商务服务业", ["seal"], 0.2),
    _ind("indiv", [""], ["兽药店"], "零售业", ["vet_drug"], 0.4),
    _ind("indiv", [""], ["化妆品店"], "零售业", ["cosmetics"], 1),
    _ind("indiv", [""], ["烟酒店", "烟酒商行"], "零售业", ["food_op"], 3),
    _ind("indiv", ["水产", "蔬菜"], ["经营部", "摊"], "零售业", ["food_op", "measure"], 2),
    _ind("indiv", ["装潢"], ["部", "工作室"], "建筑装饰、装修和其他建筑业", [], 1.5),
    _ind("indiv", ["电动车"], ["行", "商行"], "零售业", [], 1.3),
    _ind("indiv", [""], ["废品收购站"], "废弃资源综合利用业", ["scrap_car"], 0.3),
    # 有限责任公司 / 股份有限公司 (about 37%)
    _ind("company", ["餐饮管理", "餐饮服务"], [], "餐饮业", ["catering", "food_op", "prepaid"], 2.2),
    _ind("company", ["建设工程", "建筑工程", "建筑安装工程"], [], "土木工程建筑业", ["construction"], 2.6),
    _ind("company", ["装饰工程", "建筑装饰工程"], [], "建筑装饰、装修和其他建筑业", ["construction"], 1.5),
    _ind("company", ["房地产开发", "置业"], [], "房地产业", ["real_estate"], 0.6),
    _ind("company", ["物业管理", "物业服务"], [], "房地产业", ["property", "special_equip"], 0.8),
    _ind("company", ["房产经纪", "房地产经纪"], [], "房地产业", ["estate_agency"], 0.5),
    _ind("company", ["纺织", "纺织品", "纺织科技"], [], "纺织业", ["env", "industry_safety"], 1.6),
    _ind("company", ["家纺", "家用纺织品"], [], "纺织业", ["industry_safety"], 1.8),
    _ind("company", ["印染"], [], "纺织业", ["env", "industry_safety", "hazchem"], 0.3),
    _ind("company", ["机械制造", "机械", "机械设备"], [], "通用设备制造业",
         ["industry_safety", "special_equip", "industrial_prod"], 1.8),
    _ind("company", ["船舶工程", "船舶配套", "海洋工程装备"], [], "铁路、船舶、航空航天和其他运输设备制造业",
         ["industry_safety", "special_equip", "env"], 0.6),
    _ind("company", ["化工", "精细化工"], [], "化学原料和化学制品制造业",
         ["hazchem", "env", "industry_safety", "industrial_prod"], 0.5),
    _ind("company", ["电气", "电线电缆", "电器"], [], "电气机械和器材制造业", ["industrial_prod", "industry_safety"], 1),
    _ind("company", ["金属制品", "五金制品"], [], "金属制品业", ["env", "industry_safety"], 0.9),
    _ind("company", ["塑料制品", "塑胶"], [], "橡胶和塑料制品业", ["industrial_prod", "industry_safety"], 0.5),
    _ind("company", ["电子科技", "电子"], [], "计算机、通信和其他电子设备制造业", ["industry_safety"], 1),
    _ind("company", ["食品", "食品科技"], [], "食品制造业", ["food_prod", "env"], 0.6),
    _ind("company", ["大药房", "医药连锁"], [], "零售业", ["drug"], 0.5),
    _ind("company", ["医疗器械", "医药"], [], "批发业", ["drug"], 0.4),
    _ind("company", ["商贸", "贸易", "国际贸易"], [], "批发业", [], 4),
    _ind("company", ["物流", "运输", "供应链管理"], [], "道路运输业", ["road_transport"], 1.4),
    _ind("company", ["汽车服务", "汽车维修"], [], "机动车、电子产品和日用产品修理业", ["car_repair"], 0.6),
    _ind("company", ["再生资源回收", "报废汽车回收"], [], "废弃资源综合利用业", ["scrap_car", "env"], 0.15),
    _ind("company", ["机动车检测", "检测技术"], [], "专业技术服务业", ["vehicle_test"], 0.15),
    _ind("company", ["人力资源", "劳务派遣"], [], "商务服务业", ["hr"], 0.5),
    _ind("company", ["国际旅行社", "旅行社", "旅游"], [], "商务服务业", ["travel"], 0.3),
    _ind("company", ["酒店管理", "大酒店"], [], "住宿业", ["hotel", "public_place", "special_equip", "catering", "food_op"], 0.5),
    _ind("company", ["文化传媒", "广告"], [], "商务服务业", ["ad"], 1.4),
    _ind("company", ["网络科技", "信息技术", "软件"], [], "软件和信息技术服务业", ["ad"], 1.6),
    _ind("company", ["教育咨询", "教育科技", "职业技能培训"], [], "教育", ["prepaid"], 0.7),
    _ind("company", ["机动车驾驶员培训", "驾驶培训"], [], "教育", ["driving_school"], 0.1),
    _ind("company", ["文化娱乐", "娱乐"], [], "娱乐业", ["entertainment", "public_place"], 0.3),
    _ind("company", ["健身", "体育发展"], [], "体育", ["prepaid", "public_place"], 0.4),
    _ind("company", ["口腔门诊部", "医院", "诊所"], [], "卫生", ["medical"], 0.4),
    _ind("company", ["农业科技", "农业发展"], [], "农业", ["seed"], 0.6),
    _ind("company", ["环保科技", "环境工程"], [], "生态保护和环境治理业", ["env"], 0.5),
    _ind("company", ["石油销售", "能源"], [], "零售业", ["hazchem", "measure"], 0.25),
    _ind("company", ["燃气", "天然气"], [], "燃气生产和供应业", ["hazchem", "special_equip"], 0.15),
    _ind("company", ["农资", "农业生产资料"], [], "批发业", ["pesticide", "seed"], 0.25),
    _ind("company", ["饲料"], [], "农副食品加工业", ["feed"], 0.15),
    _ind("company", ["日用化学品", "化妆品"], [], "化学原料和化学制品制造业", ["cosmetics", "industrial_prod"], 0.15),
    _ind("company", ["电梯工程", "起重设备"], [], "通用设备制造业", ["special_equip", "industrial_prod"], 0.2),
    # 农民专业合作社 (about 3%)
    _ind("coop", ["蔬菜种植", "果蔬种植", "水稻种植", "花木种植"], [], "农业", ["seed"], 1.6),
    _ind("coop", ["生猪养殖", "家禽养殖", "山羊养殖"], [], "畜牧业", ["feed", "vet_drug"], 0.8),
    _ind("coop", ["水产养殖", "紫菜养殖"], [], "渔业", [], 0.6),
)
_INDUSTRY_CUM: list[float] = []
for _i, _industry in enumerate(INDUSTRIES):
    _INDUSTRY_CUM.append((_INDUSTRY_CUM[-1] if _i else 0.0) + _industry.weight)
del _i, _industry

# 字号 (trade names): a few local ones, 某记 names, and pairs of auspicious characters.
_FIRST = "和鑫通华瑞恒宏盛金泰顺达兴福隆源嘉昌佳信诚永丰益腾润亿祥凯聚天海江新鸿博伟明东美德安长正远晨星阳光银富汇优联创旺中大民一"
_SECOND = "顺达兴盛泰华源丰昌隆利发祥和瑞鑫通成德康宇辉晟鼎峰林森宏诚信嘉越航程邦鸿睿业联创佳海凯旺美"
ZIHAO: tuple[str, ...] = tuple(dict.fromkeys(
    ["狼山", "濠河", "紫琅", "江海", "通程", "和顺", "鑫达", "崇川", "海阳", "军山", "南通", "通吕"]
    + [f"{s}记" for s in "张王李刘陈杨黄吴周徐孙朱马胡郭何高林顾施陆缪季"]
    + [a + b for a in _FIRST for b in _SECOND if a != b]
))
_EXTRA = "福达兴丰源旺隆泰盛祥"  # a third character once a key has used every two-character 字号


def _coprime(n: int, start: int) -> int:
    m = start
    while math.gcd(m, n) != 1:
        m += 1
    return m


_ZIHAO_STEP = _coprime(len(ZIHAO), 1009)


def zihao_text(number: int) -> str:
    base, ext = number % len(ZIHAO), number // len(ZIHAO)
    return ZIHAO[base] + (_EXTRA[(ext - 1) % len(_EXTRA)] * ((ext - 1) // len(_EXTRA) + 1) if ext else "")


ENTITY_TYPES = {"indiv": "个体工商户", "company": "有限责任公司", "share": "股份有限公司", "coop": "农民专业合作社"}
REG_AUTHORITY = {"indiv": "92", "company": "91", "share": "91", "coop": "93"}
STATUSES = ("存续", "注销", "吊销", "迁出")
STATUS_RESULT = {1: "注销", 2: "被吊销", 3: "迁出"}
RISK = "ABCD"
RISK_FACTOR = (0.5, 1.0, 2.2, 3.8)

# Credit-record reasons (事由).
ABN_ANNUAL = "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告"
ABN_CONTACT = "通过登记的住所或者经营场所无法联系"
ABN_FALSE = "公示企业信息隐瞒真实情况、弄虚作假"
ABN_INSTANT = "未按照《企业信息公示暂行条例》第十条规定履行即时信息公示义务"
OUT_REASON = {
    ABN_ANNUAL: "补报未报年份的年度报告并公示",
    ABN_CONTACT: "依法办理住所或者经营场所变更登记，或者提出通过登记的住所或者经营场所可以重新取得联系",
    ABN_FALSE: "更正其公示的信息",
    ABN_INSTANT: "履行公示义务后申请移出",
}
SERIOUS_3Y = "被列入经营异常名录届满3年仍未履行相关义务"
SERIOUS_FOOD = "实施食品安全领域严重违法行为，受到较重行政处罚"
SERIOUS_OTHER = "违反法律、行政法规，性质恶劣、情节严重、社会危害较大，受到较重行政处罚"


# --- calendar -------------------------------------------------------------------------------

class WorkCalendar:
    """China's working days (chinesecalendar, with 调休) as ordinals; Monday–Friday beyond its data."""

    def __init__(self, first_year: int, last_year: int):
        import chinese_calendar

        self.start = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        self.days: list[int] = []
        self.next_index = array("i")  # per calendar day: index of the first working day on or after it
        for o in range(self.start, end + 1):
            day = dt.date.fromordinal(o)
            try:
                work = chinese_calendar.is_workday(day)
            except NotImplementedError:
                work = day.weekday() < 5
            self.next_index.append(len(self.days))
            if work:
                self.days.append(o)
        self.next_index.append(len(self.days))

    def index_on_or_after(self, ordinal: int) -> int:
        return self.next_index[ordinal - self.start]

    def add(self, ordinal: int, n: int) -> int:
        """The n-th working day after `ordinal` (n ≥ 1)."""
        return self.days[self.index_on_or_after(ordinal + 1) + n - 1]

    def on_or_after(self, ordinal: int) -> int:
        return self.days[self.index_on_or_after(ordinal)]


class DateWriter:
    """Dates mostly as 2023-05-18, some as 2023/5/18 or 2023年5月18日 (per row)."""

    FORMATS = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日")

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.cache: dict[tuple[int, int], str] = {}

    def style(self) -> int:
        r = self.rng.random()
        return 0 if r < 0.86 else (1 if r < 0.95 else 2)

    def text(self, ordinal: int, style: int) -> str:
        key = (ordinal, style)
        s = self.cache.get(key)
        if s is None:
            day = dt.date.fromordinal(ordinal)
            s = self.cache[key] = self.FORMATS[style].format(y=day.year, m=day.month, d=day.day)
        return s


# --- the city -------------------------------------------------------------------------------

class Entities:
    """Per-entity small integers; names and USCCs are rebuilt from them on demand."""

    def __init__(self, n: int, rng: random.Random):
        self.n = n
        self.region = array("B")
        self.industry = array("B")
        self.kind = array("B")        # index in KINDS
        self.word = array("B")
        self.suffix = array("B")
        self.prefix = array("B")      # companies: 0 南通, 1 江苏, 2 local
        self.town = array("B")
        self.zihao = array("I")
        self.city_reg = array("B")    # registered by the city bureau
        self.founded = array("I")
        self.status = array("B")
        self.risk = array("B")
        self.listed = array("I")      # 经营异常名录 listing ordinal, 0 if never listed
        self.org_offset = rng.randrange(31 ** 6)
        self.num_offset = rng.randrange(10 ** 8)

    KINDS = ("indiv", "company", "share", "coop")

    def add(self, **values: int) -> None:
        """Append one entity: a value for every per-entity array."""
        for name, value in values.items():
            getattr(self, name).append(value)

    def name(self, i: int) -> str:
        ind = INDUSTRIES[self.industry[i]]
        region = REGIONS[self.region[i]]
        zh = zihao_text(self.zihao[i])
        word = ind.words[self.word[i]]
        kind = self.KINDS[self.kind[i]]
        if kind == "indiv":
            return region.full + zh + word + ind.suffixes[self.suffix[i]]
        if kind == "coop":
            return region.full + region.towns[self.town[i]] + zh + word + "专业合作社"
        prefix = ("南通", "江苏", region.company)[self.prefix[i]]
        return prefix + zh + word + ("股份有限公司" if kind == "share" else "有限公司")

    def uscc(self, i: int) -> str:
        kind = self.KINDS[self.kind[i]]
        area = CITY_CODE if self.city_reg[i] else REGIONS[self.region[i]].code
        if kind != "indiv" and self.founded[i] < _MA_FROM:
            v = (i * 48271 + self.num_offset) % 10 ** 8
            body = f"{v:08d}"
        else:
            v = (i * 387420489 + self.org_offset) % 31 ** 6
            chars = []
            for _ in range(6):
                v, r = divmod(v, 31)
                chars.append(USCC_ALPHABET[r])
            body = "MA" + "".join(reversed(chars))
        org = body + org_check(body)
        first17 = REG_AUTHORITY[kind] + area + org
        return first17 + uscc_check(first17)

    def reg_authority(self, i: int) -> str:
        if self.city_reg[i]:
            return CITY + "市场监督管理局"
        return REGIONS[self.region[i]].full + "市场监督管理局"


_MA_FROM = dt.date(2016, 1, 1).toordinal()


_ORG_VALUE = {c: (int(c) if c.isdigit() else ord(c) - 55) for c in USCC_ALPHABET}


def org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    c = 11 - sum(map(operator.mul, map(_ORG_VALUE.__getitem__, body), _ORG_WEIGHTS)) % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def uscc_check(first17: str) -> str:
    """GB 32100 check character (the same computation as stdnum.cn.uscc.calc_check_digit)."""
    total = sum(map(operator.mul, map(_USCC_VALUE.__getitem__, first17), _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total) % 31]


@dataclass
class Task:
    year: int
    plan_no: str
    plan_name: str
    task_no: str
    name: str
    dept: Dept
    items: list[Item]
    partners: list[Dept]
    pool: array
    draw: int
    deadline: int
    planned: int
    style: str                 # exact, approx, minimum
    ratio_text: str
    city_level: bool           # carried out by the city bureau rather than district ones
    authorities: list[str] = field(default_factory=list)  # per region index
    # A randomness-audit city's 综合抽查: drawn from the whole county, weighted per entity type.
    type_weights: dict[str, float] | None = None


class _Credit:
    """The credit file writer with decision-number counters."""

    def __init__(self, writer, rng: random.Random, dates: DateWriter, horizon: int):
        self.w = writer
        self.rng = rng
        self.dates = dates
        self.horizon = horizon
        self.numbers: dict[tuple[str, str, int], int] = {}

    def row(self, uscc, name, kind, ordinal, authority, reason="", number="", amount="", risk=""):
        if ordinal > self.horizon:
            return False
        self.w.writerow([uscc, name, kind, self.dates.text(ordinal, self.dates.style()), authority, reason,
                         number, amount, risk])
        return True

    def penalty(self, uscc, name, ordinal, dept: Dept, region: Region | None, reason: str, small: bool = False):
        """A 行政处罚 with its decision number (通市监处罚〔2023〕118号); smaller fines for 个体工商户."""
        year = dt.date.fromordinal(ordinal).year
        abbr = region.case_abbr if region is not None and dept.district else "通"
        key = (abbr, dept.abbr, year)
        n = self.numbers.get(key)
        n = self.rng.randint(1, 60) if n is None else n + self.rng.randint(1, 3)
        self.numbers[key] = n
        number = f"{abbr}{dept.case}〔{year}〕{n}号"
        fines = dept.fines[: (len(dept.fines) + 1) // 2] if small else dept.fines
        amount = "" if self.rng.random() < 0.07 else f"{self.rng.choice(fines):.2f}"
        return self.row(uscc, name, "行政处罚", ordinal, authority(dept, region), reason, number, amount)


def _open(path: Path):
    f = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 — closed by the caller's ExitStack
    return f, csv.writer(f)


def generate_city(out_dir: Path, entities: int = 2000, years: range = range(2021, 2026), seed: int = 20210423,
                  progress: bool = False, draw_bias: dict[str, float] | None = None) -> dict[str, Path]:
    """Write entities.csv (检查对象名录), tasks.csv (抽查任务), results.csv (抽查检查结果) and
    credit.csv (信用信息) for a synthetic Nantong; returns the paths by ingest kind.

    `draw_bias` makes a city for the randomness audit (store/draw_audit.py): every year each
    district 市场监督管理局 also runs a 不定向 综合抽查 of AUDIT_RATIO of its county's entities, and
    every other task is published as 定向 (it draws from entities that meet its conditions). The
    综合抽查 draws each entity type (ENTITY_TYPES' words) with the weight given, 1 for the rest:
    {} is a fair draw, {"个体工商户": 3} draws 个体工商户 at three times the rate of the others."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    years = range(years.start, years.stop)
    rng = random.Random(seed)
    cal = WorkCalendar(years.start - 1, years.stop + 1)
    dates = DateWriter(rng)
    horizon = dt.date(years.stop, 3, 31).toordinal()
    paths = {"entity": out_dir / "entities.csv", "task": out_dir / "tasks.csv",
             "result": out_dir / "results.csv", "credit": out_dir / "credit.csv"}

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=entities, desc="entities", unit="entity")

    credit_file, credit_writer = _open(paths["credit"])
    credit = _Credit(credit_writer, rng, dates, horizon)
    credit_writer.writerow(CREDIT_HEADERS)
    try:
        ents, pools = _write_entities(paths["entity"], entities, years, rng, cal, dates, credit, bar)
        if bar is not None:
            bar.close()
        tasks = _write_tasks(paths["task"], ents, pools, years, rng, cal, dates, draw_bias)
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(tasks), desc="tasks", unit="task")
        _write_results(paths["result"], ents, tasks, rng, cal, dates, credit, bar)
        if bar is not None:
            bar.close()
    finally:
        credit_file.close()
    return paths


def _founding_dates(n: int, last_year: int, rng: random.Random):
    """Founding ordinals in increasing order (the directory is in registration order)."""
    first = 1995
    weights = [1 + max(0, y - 2000) * 0.3 for y in range(first, last_year + 1)]
    total = sum(weights)
    counts = [int(n * w / total) for w in weights]
    for k in range(n - sum(counts)):
        counts[-1 - (k % len(counts))] += 1
    for y, c in zip(range(first, last_year + 1), counts):
        start = dt.date(y, 1, 1).toordinal()
        length = dt.date(y, 12, 31).toordinal() - start + 1
        yield from sorted(start + rng.randrange(length) for _ in range(c))


def _write_entities(path, n, years, rng, cal, dates, credit, bar):
    ents = Entities(n, rng)
    pools: dict[str, array] = {}
    counters: dict[tuple, list[int]] = {}   # name key -> [next counter, offset]
    f, w = _open(path)
    w.writerow(ENTITY_HEADERS)
    serious_cut = dt.date(years.stop - 1, 12, 31).toordinal()
    random_ = rng.random
    try:
        for i, founded in enumerate(_founding_dates(n, years.stop - 1, rng)):
            ri = bisect.bisect_left(_REGION_CUM, random_() * _REGION_CUM[-1])
            ii = bisect.bisect_left(_INDUSTRY_CUM, random_() * _INDUSTRY_CUM[-1])
            region, ind = REGIONS[ri], INDUSTRIES[ii]
            kind = ind.kind
            if kind == "company" and random_() < 0.04 and "industry_safety" in ind.tags:
                kind = "share"
            ki = Entities.KINDS.index(kind)
            word = rng.randrange(len(ind.words))
            suffix = rng.randrange(len(ind.suffixes)) if ind.suffixes else 0
            town = rng.randrange(len(region.towns))
            if kind in ("company", "share"):
                prefix = rng.choices((0, 1, 2), (45, 15, 40) if kind == "company" else (50, 50, 0))[0]
                pre = ("南通", "江苏", region.company)[prefix]
                key = (pre, ii, word, kind)
                city_reg = 1 if prefix != 2 and random_() < 0.6 else 0
            else:
                prefix = 0
                key = (ri, ii, word, town if kind == "coop" else -1)
                city_reg = 0
            counter = counters.get(key)
            if counter is None:
                counter = counters[key] = [0, rng.randrange(len(ZIHAO))]
            c = counter[0]
            counter[0] += 1
            zh = (c % len(ZIHAO) * _ZIHAO_STEP + counter[1]) % len(ZIHAO) + len(ZIHAO) * (c // len(ZIHAO))
            r = random_()
            status = 0 if r < 0.88 else (1 if r < 0.96 else (2 if r < 0.985 else 3))
            r = random_()
            risk = 0 if r < 0.15 else (1 if r < 0.80 else (2 if r < 0.95 else 3))

            ents.add(region=ri, industry=ii, kind=ki, word=word, suffix=suffix, prefix=prefix, town=town,
                     zihao=zh, city_reg=city_reg, founded=founded, status=status, risk=risk, listed=0)
            for tag in ind.tags:
                pool = pools.get(tag)
                if pool is None:
                    pool = pools[tag] = array("I")
                pool.append(i)

            uscc, name = ents.uscc(i), ents.name(i)
            road = region.roads[rng.randrange(len(region.roads))]
            address = f"江苏省{region.full}{region.towns[town]}{road}{rng.randint(1, 399)}号"
            if kind == "indiv" and random_() < 0.4:
                address += f"{rng.randint(1, 3)}0{rng.randint(1, 9)}室"
            w.writerow([uscc, name, ENTITY_TYPES[kind], region.code, address, ind.sector,
                        dates.text(founded, dates.style()), STATUSES[status], ents.reg_authority(i)])

            # Background credit records: annual-report abnormal listings, complaint-driven
            # penalties and one risk classification.
            if kind != "indiv":
                for y in years:
                    if dt.date(y - 1, 6, 30).toordinal() > founded and random_() < 0.025 and not ents.listed[i]:
                        on = cal.on_or_after(dt.date(y, 7, 1).toordinal() + rng.randrange(20))
                        if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), ABN_ANNUAL):
                            ents.listed[i] = on
                            _after_listing(credit, ents, i, uscc, name, on, ABN_ANNUAL, rng, cal, serious_cut)
            for y in years:
                if random_() < 0.006 and founded < dt.date(y, 1, 1).toordinal():
                    dept = DEPTS[rng.choice(("SJ", "SJ", "SJ", "WJ", "HB", "YJ", "WL", "JT", "NY"))]
                    items = [it for it in ITEMS if it.dept == dept.abbr and it.tag in ind.tags and not it.disclosure]
                    if items:
                        it = rng.choice(items)
                        on = cal.on_or_after(dt.date(y, 1, 1).toordinal() + rng.randrange(350))
                        credit.penalty(uscc, name, on, dept, region, rng.choice(it.violations), kind == "indiv")
            if random_() < (0.6 if kind != "indiv" else 0.2):
                y = rng.choice(years)
                on = max(cal.on_or_after(dt.date(y, 3, 1).toordinal() + rng.randrange(30)), founded + 1)
                credit.row(uscc, name, "信用风险分类", on, CITY + "市场监督管理局", "企业信用风险分类结果", risk=RISK[risk])
            if bar is not None and i % 1000 == 999:
                bar.update(1000)
        if bar is not None:
            bar.update(n % 1000)
    finally:
        f.close()
    return ents, pools


def _after_listing(credit, ents, i, uscc, name, on, reason, rng, cal, serious_cut):
    """Maybe a removal (移出) later; unremoved for 3 years → 严重违法失信名单."""
    if rng.random() < 0.45:
        out = cal.on_or_after(on + rng.randint(15, 420))
        credit.row(uscc, name, "移出经营异常名录", out, ents.reg_authority(i), OUT_REASON[reason])
    else:
        d = dt.date.fromordinal(on)
        try:
            due = dt.date(d.year + 3, d.month, d.day).toordinal()
        except ValueError:
            due = dt.date(d.year + 3, d.month, 28).toordinal()
        if due <= serious_cut and rng.random() < 0.3:
            credit.row(uscc, name, "列入严重违法失信名单", cal.on_or_after(due + rng.randint(1, 30)),
                       ents.reg_authority(i), SERIOUS_3Y)


def _ratio_text(ratio: float, rng: random.Random) -> tuple[str, float]:
    """A published 抽取比例: a round percentage, or an exact one with decimals (15.38%)."""
    pct = ratio * 100
    if rng.random() < 0.6 or pct >= 50:
        value = max(1, round(pct)) if pct >= 1 else max(0.1, round(pct, 1))
        return f"{value:g}%", value / 100
    text = f"{pct:.2f}".rstrip("0").rstrip(".")
    return text + "%", ratio


def _write_tasks(path, ents: Entities, pools, years, rng, cal, dates, draw_bias=None) -> list[Task]:
    by_dept: dict[str, dict[str, list[Item]]] = {}
    for it in ITEMS:
        by_dept.setdefault(it.dept, {}).setdefault(it.name, []).append(it)
    empty = array("I")
    tasks: list[Task] = []
    f, w = _open(path)
    w.writerow(TASK_HEADERS)
    try:
        for year in years:
            year_tasks: list[Task] = []
            for abbr, dept in DEPTS.items():
                plan_no = f"{CITY_CODE}-{year}-{abbr}"
                plan_name = f"{authority(dept, None)}{year}年度“双随机、一公开”抽查工作计划"
                groups = list(by_dept[abbr].values())
                n_tasks = rng.randint(*dept.tasks)
                order = []
                while len(order) < n_tasks:
                    batch = groups[:]
                    rng.shuffle(batch)
                    order.extend(batch)
                order = order[:n_tasks]
                n_joint = round(n_tasks * rng.uniform(0.08, 0.26))
                joint_at = set(rng.sample(range(n_tasks), n_joint))
                seen: dict[str, int] = {}
                for seq, group in enumerate(order, 1):
                    base = group[0]
                    seen[base.name] = seen.get(base.name, 0) + 1
                    items = list(group)
                    partners: list[Dept] = []
                    if seq - 1 in joint_at:
                        partners = _pick_partners(base, rng)
                        for p in partners:
                            items.append(_partner_item(p, base, rng))
                    elif len(items) == 1 and rng.random() < 0.25:
                        extra = [g[0] for g in groups if g[0].name != base.name and g[0].tag in _COMPATIBLE[base.tag]]
                        if extra:
                            items.append(rng.choice(extra))
                    items = items[:4]
                    draw = cal.on_or_after(dt.date(year, rng.choice((3, 3, 4, 4, 5, 6, 7, 8, 9)), 1).toordinal()
                                           + rng.randrange(25))
                    end = dt.date(year, 11, 30 if dt.date.fromordinal(draw).month <= 8 else 12).toordinal()
                    end = min(end, dt.date(year, 12, 20).toordinal())
                    deadline = min(draw + rng.randint(60, 150), end)
                    deadline = cal.days[cal.index_on_or_after(deadline + 1) - 1]  # last working day ≤ deadline
                    batch_no = seen[base.name]
                    if partners:
                        name = f"{year}年度{base.name.removesuffix('检查').removesuffix('抽查')}部门联合抽查"
                    else:
                        name = f"{year}年度{base.name}"
                    if batch_no > 1:
                        name += f"（第{'一二三四五六'[batch_no - 1]}批）"
                    pool = pools.get(base.tag, empty)
                    task = Task(year, plan_no, plan_name, f"{plan_no}-{seq:03d}", name, dept, items, partners,
                                pool, draw, deadline, 0, "exact", "", rng.random() < 0.15)
                    task.authorities = [_authorities(task, r) for r in REGIONS]
                    year_tasks.append(task)
            _allocate(year_tasks, ents, year, rng)
            if draw_bias is not None:
                year_tasks += _audit_tasks(ents, year, cal, draw_bias)
            for t in year_tasks:
                count = str(t.planned) if t.style == "exact" else (
                    f"约{t.planned}" if t.style == "approx" else f"不少于{t.planned}")
                objects = t.items[0].objects
                style = dates.style()
                w.writerow([t.plan_no, t.plan_name, t.task_no, t.name,
                            _task_type(t, audit=draw_bias is not None),
                            "重点检查" if t.items[0].key else "一般检查",
                            "；".join(dict.fromkeys(it.name for it in t.items)),
                            "；".join(dict.fromkeys(it.basis for it in t.items)),
                            f"全市{objects}" if not objects.startswith("辖区") else objects.replace("辖区", "全市"),
                            authority(t.dept, None), "、".join(p.short for p in t.partners),
                            t.ratio_text, count, dates.text(t.draw, style), dates.text(t.deadline, style)])
            tasks.extend(year_tasks)
    finally:
        f.close()
    return tasks


def _task_type(t: Task, audit: bool) -> str:
    """Tasks of items any entity of a kind can be checked on are published as 不定向; in an audit
    city only the 综合抽查 are, since the others draw from pools of entities meeting conditions."""
    if audit:
        return "不定向" if t.type_weights is not None else "定向"
    return "不定向" if t.items[0].tag in ("ent", "indiv", "company") else "定向"


AUDIT_RATIO = 0.1  # of a county's entities, in AUDIT_BATCHES equal batches a year
AUDIT_BATCHES = ((3, "第一批"), (9, "第二批"))  # month drawn, name


def _audit_tasks(ents: Entities, year: int, cal, weights: dict[str, float]) -> list[Task]:
    """The 不定向 综合抽查 of each county 市场监督管理局, drawn in batches."""
    dept = DEPTS["SJ"]
    item = next(it for it in ITEMS if it.dept == "SJ" and it.tag == "ent")
    plan_no = f"{CITY_CODE}-{year}-SJ"
    deadline = cal.days[cal.index_on_or_after(dt.date(year, 12, 15).toordinal() + 1) - 1]
    tasks = []
    for ri, region in enumerate(REGIONS):
        pool = array("I", (i for i in range(len(ents.founded)) if ents.region[i] == ri))
        for b, (month, batch) in enumerate(AUDIT_BATCHES):
            draw = cal.on_or_after(dt.date(year, month, 1).toordinal())
            planned = max(1, math.ceil(AUDIT_RATIO / len(AUDIT_BATCHES) * _eligible(pool, ents, draw)))
            task = Task(year, plan_no, f"{authority(dept, None)}{year}年度“双随机、一公开”抽查工作计划",
                        f"{plan_no}-9{ri}{b}", f"{year}年度{region.full}市场主体综合抽查（{batch}）", dept, [item], [],
                        pool, draw, deadline, planned, "exact", f"{AUDIT_RATIO / len(AUDIT_BATCHES):.0%}", False,
                        type_weights=weights)
            task.authorities = [_authorities(task, r) for r in REGIONS]
            tasks.append(task)
    return tasks


def _compatible() -> dict[str, set[str]]:
    """tag → tags that every entity carrying it also carries."""
    out: dict[str, set[str]] = {}
    for ind in INDUSTRIES:
        for t in ind.tags:
            out[t] = set(ind.tags) if t not in out else out[t] & set(ind.tags)
    return out


_COMPATIBLE = _compatible()
assert all(it.tag in _COMPATIBLE for it in ITEMS), "every checklist tag needs entities"
_GENERIC_TAGS = ("ent", "indiv", "company")  # items any entity can be checked on (公示, 劳动, 发票)
_GENERIC_PARTNERS = ("SJ", "RS", "SWJ", "WJ", "YJ", "GA")


def _fits(dept_abbr: str, base: Item) -> list[Item]:
    """A partner's items that make sense for the entities a task draws."""
    compatible = _COMPATIBLE[base.tag]
    fits = [it for it in ITEMS if it.dept == dept_abbr and it.tag in compatible and it.tag not in _GENERIC_TAGS]
    return fits or [it for it in ITEMS if it.dept == dept_abbr and it.tag in _GENERIC_TAGS]


def _pick_partners(base: Item, rng: random.Random) -> list[Dept]:
    named = [p for p in base.partners if p != base.dept and _fits(p, base)]
    others = [p for p in _GENERIC_PARTNERS if p != base.dept and p not in named and _fits(p, base)]
    # Departments with a specific item for these entities first; a generic one (公示, 劳动, 发票)
    # when there is none, or now and then as an extra.
    specific = [p for p in others if _fits(p, base)[0].tag not in _GENERIC_TAGS]
    generic = [p for p in others if p not in specific]
    rng.shuffle(specific)
    rng.shuffle(generic)
    candidates = named + specific
    chosen = candidates[: rng.choice((1, 1, 1, 2, 2, 3))]
    if generic and (not chosen or (len(chosen) < 3 and rng.random() < 0.25)):
        chosen.append(generic[0])
    return [DEPTS[p] for p in chosen]


def _partner_item(dept: Dept, base: Item, rng: random.Random) -> Item:
    return rng.choice(_fits(dept.abbr, base))


def _authorities(task: Task, region: Region) -> str:
    where = None if task.city_level else region
    names = [authority(task.dept, where)] + [authority(p, where) for p in task.partners]
    return "、".join(dict.fromkeys(names))


def _allocate(tasks: list[Task], ents: Entities, year: int, rng: random.Random) -> None:
    """Planned counts: about 15–25% of the year's entities drawn in all, shared by pool size."""
    mid = dt.date(year, 6, 30).toordinal()
    alive = bisect.bisect_right(ents.founded, mid)
    target = rng.uniform(0.19, 0.30) * alive
    sizes = [_eligible(t.pool, ents, t.draw) for t in tasks]
    weights = [(2.0 if t.items[0].key else 1.0) * (1.4 if t.partners else 1.0) * rng.uniform(0.4, 1.8) * s
               for t, s in zip(tasks, sizes)]
    total = sum(weights) or 1.0
    for t, size, wt in zip(tasks, sizes, weights):
        want = target * wt / total
        ratio = min(1.0, want / size) if size else rng.choice((0.03, 0.05, 0.1))
        if t.items[0].key:
            ratio = min(1.0, ratio * rng.uniform(1.0, 1.5))
        t.ratio_text, ratio = _ratio_text(ratio, rng)
        planned = max(1, math.ceil(ratio * size)) if size else max(1, rng.randint(1, 5))
        r = rng.random()
        if r < 0.12 and planned >= 20:
            t.style = "approx"
            planned = round(planned, -1) if planned >= 50 else planned
        elif r < 0.22:
            t.style = "minimum"
        t.planned = planned


def _eligible(pool: array, ents: Entities, ordinal: int) -> int:
    """How many of a pool (in founding order) were founded before `ordinal`."""
    return bisect.bisect_left(pool, ordinal, key=ents.founded.__getitem__)


# Result vocabularies.
R_OK = "未发现问题"
R_NOT_FOUND = "通过登记的住所（经营场所）无法联系"
R_NO_ACTIVITY = "未发现开展本次抽查涉及的经营活动"
R_CLOSED = "已关闭停业或正在组织清算"
R_REFUSED = "不配合检查情节严重"
R_FIXED = "发现问题经责令已改正"
R_PENDING = "发现问题待后续处理"
R_UNDISCLOSED = "未按规定公示应当公示的信息"
R_FALSE = "公示信息隐瞒真实情况弄虚作假"
R_OTHER = "违反其他部门相关规定"


def _write_results(path, ents: Entities, tasks: list[Task], rng, cal, dates, credit: _Credit, bar):
    f, w = _open(path)
    w.writerow(RESULT_HEADERS)
    serious_cut = dt.date(tasks[-1].year, 12, 31).toordinal() if tasks else 0
    random_, writerow = rng.random, w.writerow
    try:
        for t in tasks:
            size = _eligible(t.pool, ents, t.draw)
            if size:
                if t.style == "approx":
                    k = round(t.planned * rng.uniform(0.9, 1.1))
                elif t.style == "minimum":
                    k = round(t.planned * rng.uniform(1.0, 1.2))
                else:
                    k = t.planned if random_() < 0.9 else round(t.planned * rng.uniform(0.7, 0.95))
                k = max(0, min(size, k))
                lo, hi = cal.index_on_or_after(t.draw) + 3, cal.index_on_or_after(t.deadline + 1) - 1
                hi_published = cal.index_on_or_after(t.deadline + 1)
                for j in _sample(t, ents, size, k, rng):
                    _inspect(t, t.pool[j], ents, rng, cal, dates, credit, writerow, lo, hi, hi_published,
                             serious_cut)
            if bar is not None:
                bar.update(1)
    finally:
        f.close()


def _sample(t: Task, ents: Entities, size: int, k: int, rng: random.Random) -> list[int]:
    """k of the first `size` of the task's pool: uniformly, or weighted per entity type
    (Efraimidis–Spirakis: the k largest of u^(1/w))."""
    if t.type_weights is None:
        return rng.sample(range(size), k)
    keys = [(rng.random() ** (1 / t.type_weights.get(ENTITY_TYPES[Entities.KINDS[ents.kind[t.pool[j]]]], 1.0)), j)
            for j in range(size)]
    return [j for _, j in sorted(keys, reverse=True)[:k]]


def _inspect(t: Task, i: int, ents: Entities, rng, cal, dates, credit, writerow, lo, hi, hi_published,
             serious_cut):
    """One inspection: a row per checked item, and the credit records that follow from it."""
    random_ = rng.random
    uscc, name = ents.uscc(i), ents.name(i)
    ri = ents.region[i]
    kind = ents.KINDS[ents.kind[i]]
    done = cal.days[rng.randint(lo, max(lo, hi))]
    r = random_()
    if r < 0.03:
        published = None
    elif r < 0.13:  # late: after 20 working days from the task deadline
        published = cal.days[hi_published + rng.randint(20, 60)]
    else:
        published = cal.add(done, min(20, 1 + int(rng.expovariate(1 / 5))))
    style = dates.style()
    done_text = dates.text(done, style)
    published_text = dates.text(published, style) if published else ""
    auth = t.authorities[ri]

    whole = None
    if ents.status[i] and random_() < 0.2:
        whole = STATUS_RESULT[ents.status[i]]
    else:
        r = random_()
        whole = (R_NOT_FOUND if r < 0.02 else R_NO_ACTIVITY if r < 0.055 else R_CLOSED if r < 0.062
                 else R_REFUSED if r < 0.064 else None)
    items = t.items
    if kind == "indiv":
        items = [_INDIV_FOR.get(it.code, it) for it in items]
    elif kind != "indiv":
        items = [_ENT_FOR.get(it.code, it) for it in items]
    if whole is not None:
        for it in items:
            writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, whole, done_text, published_text, ""])
        if whole == R_NOT_FOUND and kind != "indiv" and not ents.listed[i]:
            on = cal.add(done, rng.randint(5, 40))
            if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), ABN_CONTACT):
                ents.listed[i] = on
                _after_listing(credit, ents, i, uscc, name, on, ABN_CONTACT, rng, cal, serious_cut)
        elif whole == R_REFUSED and random_() < 0.5:
            credit.penalty(uscc, name, cal.add(done, rng.randint(20, 100)), t.dept, REGIONS[ri],
                           "拒绝、阻碍监督检查", kind == "indiv")
        return

    p = 0.085 * RISK_FACTOR[ents.risk[i]]
    region = None if t.city_level else REGIONS[ri]
    for it in items:
        follow = ""
        if random_() >= p:
            writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, R_OK, done_text, published_text, ""])
            continue
        dept = DEPTS[it.dept]
        r = random_()
        if it.disclosure and kind != "indiv" and r < 0.5:
            result = R_UNDISCLOSED if r < 0.35 else R_FALSE
        elif it.dept != t.dept.abbr and r < 0.15:
            result = R_OTHER
        elif r < 0.7:
            result = R_FIXED
        else:
            result = R_PENDING
        if result == R_FIXED:
            follow = "责令改正"
        elif result in (R_PENDING, R_FALSE):
            r2 = random_()
            follow = "已立案调查" if r2 < 0.8 else ("移送司法机关" if r2 < 0.85 else "责令改正")
        elif result == R_UNDISCLOSED:
            follow = "责令改正" if random_() < 0.5 else ""
        elif result == R_OTHER:
            follow = "" if random_() < 0.6 else "责令改正"
        writerow([uscc, name, t.task_no, t.name, auth, it.sub_item, result, done_text, published_text, follow])

        # What follows on the credit record, within 180 days.
        if result in (R_UNDISCLOSED, R_FALSE) and not ents.listed[i] and random_() < 0.8:
            reason = ABN_FALSE if result == R_FALSE else ABN_INSTANT
            on = cal.add(done, rng.randint(5, 40))
            if credit.row(uscc, name, "列入经营异常名录", on, ents.reg_authority(i), reason):
                ents.listed[i] = on
                _after_listing(credit, ents, i, uscc, name, on, reason, rng, cal, serious_cut)
        if follow == "已立案调查" and random_() < 0.88 or follow == "责令改正" and random_() < 0.05:
            on = cal.add(done, rng.randint(15, 120))
            credit.penalty(uscc, name, on, dept, region, rng.choice(it.violations), kind == "indiv")
        elif follow == "移送司法机关" and random_() < 0.4:
            on = cal.add(done, rng.randint(30, 120))
            reason = SERIOUS_FOOD if it.tag in ("food_op", "catering", "food_prod") else SERIOUS_OTHER
            credit.row(uscc, name, "列入严重违法失信名单", on, authority(dept, region), reason)


def _swap_maps():
    """Enterprise 公示 items checked on a 个体工商户 become its own item, and the reverse."""
    ent = [it for it in ITEMS if it.dept == "SJ" and it.tag == "ent"]
    indiv = [it for it in ITEMS if it.dept == "SJ" and it.tag == "indiv"]
    return ({it.code: indiv[0] for it in ent}, {it.code: ent[0] for it in indiv})


_INDIV_FOR, _ENT_FOR = _swap_maps()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate a synthetic Nantong-like city as published CSV files.")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20210423)
    parser.add_argument("--first-year", type=int, default=2021)
    parser.add_argument("--last-year", type=int, default=2025)
    parser.add_argument("--checklist", action="store_true", help="also write checklist.csv (抽查事项清单)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    paths = generate_city(args.out, args.entities, range(args.first_year, args.last_year + 1), args.seed,
                          progress=not args.quiet)
    if args.checklist:
        paths["checklist"] = write_checklist(args.out / "checklist.csv")
    for kind, p in paths.items():
        print(f"{kind}\t{p}")


if __name__ == "__main__":
    main()
