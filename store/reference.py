"""Reference data loaded with the schema: departments with their aliases, and regions.

Departments are the members of Nantong's 联席会议 (as its 实施意见 lists them) plus those
named in Jiangsu's 2021 joint-inspection task table; aliases are the short and older names used
in published files. Regions are GB/T 2260 codes for Nantong, Jiangsu and the other
jurisdictions whose notices the portal was designed from.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongshi.store.models import Department, DepartmentAlias, Region

# (canonical name, short name, aliases). Aliases are matched after spaces are removed.
DEPARTMENTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("市场监督管理局", "市场监管", ("市场监管局", "市监局", "市监", "市场监管", "工商行政管理局", "工商局",
                         "质量技术监督局", "食品药品监督管理局", "市场监督管理厅")),
    ("教育局", "教育", ("教育", "教育厅", "教育委员会", "教委", "教育体育局", "教体局")),
    ("公安局", "公安", ("公安", "公安厅", "公安分局")),
    ("地方金融监督管理局", "金融", ("金融", "金融办", "金融监管局", "地方金融监管局", "金融工作局",
                           "地方金融监督管理局")),
    ("税务局", "税务", ("税务", "国家税务总局")),
    ("住房和城乡建设局", "住建", ("住建", "住建局", "住房城乡建设局", "住房和城乡建设厅", "建设局")),
    ("人力资源和社会保障局", "人社", ("人社", "人社局", "人力资源社会保障局", "人力资源和社会保障厅")),
    ("商务局", "商务", ("商务", "商务厅")),
    ("财政局", "财政", ("财政", "财政厅")),
    ("交通运输局", "交通", ("交通", "交通局", "交通运输厅")),
    ("生态环境局", "生态环境", ("生态环境", "环保", "环保局", "环境保护局", "生态环境厅")),
    ("医疗保障局", "医保", ("医保", "医保局")),
    ("卫生健康委员会", "卫健", ("卫健", "卫健委", "卫生健康委", "卫生健康局", "卫生计生委", "卫生和计划生育委员会")),
    ("海关", "海关", ()),
    ("农业农村局", "农业农村", ("农业农村", "农村农业", "农业", "农业局", "农业农村厅", "农委", "农业农村委员会")),
    ("消防救援支队", "消防", ("消防", "消防救援", "消防救援大队", "消防救援总队", "消防大队")),
    ("文化广电和旅游局", "文旅", ("文旅", "文化和旅游", "文化和旅游厅", "文旅局", "文体广电和旅游局",
                          "文化广电旅游局", "文广旅局", "文广新局")),
    ("气象局", "气象", ("气象",)),
    ("应急管理局", "应急", ("应急", "应急局", "应急管理厅", "安监局", "安全生产监督管理局")),
    ("发展和改革委员会", "发改", ("发改", "发改委", "发展改革委", "发展和改革局")),
    ("工业和信息化局", "工信", ("工信", "工信局", "经信委", "工业和信息化厅")),
    ("科学技术局", "科技", ("科技", "科技局", "科学技术厅")),
    ("民族宗教事务局", "民宗", ("民宗", "民宗局")),
    ("民政局", "民政", ("民政", "民政厅")),
    ("司法局", "司法", ("司法", "司法厅")),
    ("自然资源和规划局", "自然资源", ("自然资源", "自然资源局", "国土资源局", "自然资源厅")),
    ("市政和园林局", "市政园林", ("市政园林", "园林局")),
    ("城市管理局", "城管", ("城管", "城管局", "城市管理行政执法局", "综合行政执法局")),
    ("水利局", "水利", ("水利", "水务局", "水利厅")),
    ("体育局", "体育", ("体育",)),
    ("统计局", "统计", ("统计",)),
    ("人民防空办公室", "人防", ("人防", "人防办")),
    ("新闻出版局", "新闻出版", ("新闻出版", "版权局", "新闻出版局（版权局）")),
    ("烟草专卖局", "烟草", ("烟草", "烟草局")),
    ("邮政管理局", "邮政", ("邮政", "邮政局")),
    ("海事局", "海事", ("海事",)),
    ("银保监分局", "银保监", ("银保监", "银保监局", "银保监会", "金融监管分局")),
    ("粮食和物资储备局", "粮食", ("粮食", "粮食局", "粮食和储备局")),
    ("住房公积金管理中心", "公积金", ("公积金",)),
    ("药品监督管理局", "药监", ("药监", "药监局")),
]

# (code, name, parent code, level)
REGIONS: list[tuple[str, str, str | None, str]] = [
    ("320000", "江苏省", None, "省"),
    ("320100", "南京市", "320000", "市"),
    ("320200", "无锡市", "320000", "市"),
    ("320300", "徐州市", "320000", "市"),
    ("320400", "常州市", "320000", "市"),
    ("320500", "苏州市", "320000", "市"),
    ("320600", "南通市", "320000", "市"),
    ("320602", "崇川区", "320600", "县"),
    ("320611", "港闸区", "320600", "县"),  # merged into 崇川区 in 2020; kept for history
    ("320612", "通州区", "320600", "县"),
    ("320614", "海门区", "320600", "县"),
    ("320623", "如东县", "320600", "县"),
    ("320681", "启东市", "320600", "县"),
    ("320682", "如皋市", "320600", "县"),
    ("320684", "海门市", "320600", "县"),  # became 海门区 (320614) in 2020; kept for history
    ("320685", "海安市", "320600", "县"),
    ("320700", "连云港市", "320000", "市"),
    ("320800", "淮安市", "320000", "市"),
    ("320900", "盐城市", "320000", "市"),
    ("321000", "扬州市", "320000", "市"),
    ("321100", "镇江市", "320000", "市"),
    ("321200", "泰州市", "320000", "市"),
    ("321300", "宿迁市", "320000", "市"),
    ("370000", "山东省", None, "省"),
    ("371000", "威海市", "370000", "市"),
    ("371083", "乳山市", "371000", "县"),
    ("420000", "湖北省", None, "省"),
    ("421300", "随州市", "420000", "市"),
    ("620000", "甘肃省", None, "省"),
    ("620400", "白银市", "620000", "市"),
    ("620422", "会宁县", "620400", "县"),
]


def _full_name(code: str, by_code: dict[str, tuple[str, str | None]]) -> str:
    name, parent = by_code[code]
    return (_full_name(parent, by_code) if parent else "") + name


def load_reference(session: Session) -> None:
    """Insert whatever reference rows are missing; existing rows and ids are left alone."""
    by_code = {code: (name, parent) for code, name, parent, _ in REGIONS}
    have_regions = set(session.scalars(select(Region.code)))
    for code, name, parent, level in REGIONS:
        if code not in have_regions:
            session.add(Region(code=code, name=name, parent_code=parent, level=level,
                               full_name=_full_name(code, by_code)))
    departments = {d.name: d for d in session.scalars(select(Department))}
    aliases = set(session.scalars(select(DepartmentAlias.alias)))
    for name, short, extra in DEPARTMENTS:
        dept = departments.get(name)
        if dept is None:
            dept = Department(name=name, short_name=short, recognized=True)
            session.add(dept)
            session.flush()
        for alias in {name, short, *extra}:
            if alias not in aliases:
                session.add(DepartmentAlias(alias=alias, department_id=dept.id))
                aliases.add(alias)
