"""API v1: the same facts as the pages, at the same URLs with /api/v1 in front."""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy.orm import selectinload

from gongshi import search
from gongshi.api import documents
from gongshi.api.context import external_url
from gongshi.api.endpoint import Api, ListQuery, next_url
from gongshi.api.files import draw_audit_once
from gongshi.api.problems import ApiError, invalid, not_found
from gongshi.api.schemas import (
    USCC_RE,
    Attachment3Args,
    Attachment3RowSchema,
    BurdenSchema,
    CheckItemArgs,
    CheckItemSchema,
    CoverageArgs,
    CoverageRowSchema,
    CreditLinkSchema,
    DepartmentSchema,
    DirectorySchema,
    DrawAuditArgs,
    DrawAuditRowSchema,
    EnterpriseArgs,
    EnterpriseSchema,
    EnterpriseSummarySchema,
    InspectionArgs,
    InspectionSchema,
    ListArgs,
    NeverDrawnArgs,
    OfficeArgs,
    OfficeSchema,
    PlanArgs,
    PlanDetailSchema,
    PlanRowArgs,
    PlanRowSchema,
    PlanSchema,
    RegionArgs,
    SearchArgs,
    SearchPageSchema,
    TaskArgs,
    TaskSchema,
    YearArgs,
)
from gongshi.store import draw_audit, queries, stats
from gongshi.store.models import CheckItem, Department, Inspection, MarketEntity, Plan, Task
from gongshi.store.stats import never_drawn_filters

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
api = Api(bp)

ENTERPRISES, INSPECTIONS, TASKS, REFERENCE = "市场主体", "抽查结果", "抽查计划与任务", "抽查事项与部门"
STATISTICS, SEARCH = "统计", "搜索"


@api.get("/enterprises", EnterpriseSummarySchema, args=EnterpriseArgs, many=True, tag=ENTERPRISES,
         summary="市场主体列表", description="按名称片段或统一社会信用代码开头、行政区划、主体类型筛选。")
def enterprises(session, args):
    return ListQuery(MarketEntity, queries.enterprise_filters(args.get("q"), args.get("region"),
                                                              args.get("entity_type")))


@api.get("/enterprises/<uscc>", EnterpriseSchema, tag=ENTERPRISES, summary="一个市场主体的全部公示信息",
         description="名称与曾用名、抽查结果（含各检查事项结果）、信用信息，以及每条信息的来源。")
def enterprise(session, args, uscc):
    found = documents.enterprise(session, uscc.upper()) if USCC_RE.match(uscc.upper()) else None
    if found is None:
        _missing("统一社会信用代码为此值的市场主体", uscc)
    return found


@api.get("/inspections", InspectionSchema, args=InspectionArgs, many=True, tag=INSPECTIONS,
         summary="抽查结果列表", description="year 按检查完成日期；department 为任一抽查机关。")
def inspections(session, args):
    return ListQuery(Inspection, queries.inspection_filters(**{k: v for k, v in args.items()
                                                               if k not in ("limit", "cursor")}),
                     queries.INSPECTION_LIST_OPTIONS)


@api.get("/tasks", TaskSchema, args=TaskArgs, many=True, tag=TASKS, summary="抽查任务列表")
def tasks(session, args):
    return ListQuery(Task, queries.task_filters(args.get("year"), args.get("department"), args.get("joint"),
                                                args.get("plan_no")), queries.TASK_OPTIONS)


@api.get("/tasks/<task_no>", TaskSchema, tag=TASKS, summary="一个抽查任务")
def task(session, args, task_no):
    return queries.task_by_no(session, task_no) or _missing("抽查任务编号为此值的任务", task_no)


@api.get("/plans", PlanSchema, args=PlanArgs, many=True, tag=TASKS, summary="抽查计划列表")
def plans(session, args):
    return ListQuery(Plan, queries.plan_filters(args.get("year"), args.get("department")))


@api.get("/plans/<plan_no>", PlanDetailSchema, tag=TASKS, summary="一个抽查计划及其任务")
def plan(session, args, plan_no):
    return queries.plan_by_no(session, plan_no) or _missing("抽查计划编号为此值的计划", plan_no)


@api.get("/check-items", CheckItemSchema, args=CheckItemArgs, many=True, tag=REFERENCE, summary="抽查事项清单")
def check_items(session, args):
    return ListQuery(CheckItem, queries.check_item_filters(args.get("department"), args.get("status")))


@api.get("/departments", DepartmentSchema, args=ListArgs, many=True, tag=REFERENCE,
         summary="部门列表")
def departments(session, args):
    return ListQuery(Department, [], (selectinload(Department.aliases),))


@api.get("/departments/<int:department_id>", DepartmentSchema, tag=REFERENCE, summary="一个部门")
def department(session, args, department_id):
    return queries.department(session, department_id) or _missing("编号为此值的部门", department_id)


@api.get("/offices", OfficeSchema, args=OfficeArgs, many=True, tag=REFERENCE, summary="机关列表",
         description="机关：一个部门（种类）在一个行政区划的一级机关，如 南通市市场监督管理局、如皋市市场监督管理局。"
         "region 含下级地区（市含所辖县区）。")
def offices(session, args):
    rows = stats.office_rows(session, department_id=args.get("department"), region=args.get("region"))
    return sorted(rows.values(), key=lambda o: (o.department, o.region_code or "~", o.name))


@api.get("/offices/<int:office_id>", OfficeSchema, tag=REFERENCE, summary="一个机关")
def office(session, args, office_id):
    rows = stats.office_rows(session, office_id=office_id)
    return rows.get(office_id) or _missing("编号为此值的机关", office_id)


@api.get("/stats/coverage", CoverageRowSchema, args=CoverageArgs, many=True, tag=STATISTICS,
         summary="各机关抽查统计", description="每个机关每年一行：抽查批次、联合抽查占比、户次与户数、发现问题率、按时公示率、"
         "每百户名录主体抽查户次、检查负担、信用关联、案件与罚没金额。口径与官方统计表（附件3）一致：批次、户次、公示数计入"
         "实施的机关，案件与罚款计入作出处罚的机关。region 含下级地区（市含所辖县区），没有数据的地区返回空列表。")
def coverage(session, args):
    return stats.coverage(session, year=args.get("year"), office_id=args.get("office"),
                          department_id=args.get("department"), region=args.get("region"))


@api.get("/stats/attachment3", Attachment3RowSchema, args=Attachment3Args, many=True, tag=STATISTICS,
         summary="监管信息统计表（附件3）", description="按填报单位（机关）：本级为该机关自身，下级为其辖区内下级同类机关。"
         "不指定 office 时为每个有数据的机关各一份，最后为合计；没有此机关时为空列表。year 默认为有数据的最近年度。")
def attachment3(session, args):
    year = args.get("year") or stats.latest_year(session)
    return stats.attachment3(session, year, args.get("office")) if year is not None else []


@api.get("/stats/plans", PlanRowSchema, args=PlanRowArgs, many=True, tag=STATISTICS, summary="计划与实际",
         description="每个抽查任务公布的抽取数量与已导入的抽查户次。任务没有任何已导入的结果时为 no_results"
         "（结果未公示/未导入），不判定是否达到。")
def planned_vs_actual(session, args):
    return stats.planned_vs_actual(session, year=args.get("year"), office_id=args.get("office"),
                                   department_id=args.get("department"))


@api.get("/stats/directory", DirectorySchema, args=RegionArgs, tag=STATISTICS, summary="名录覆盖率",
         description="检查对象名录中的市场主体最近 1、3、5 年内被抽查的比例；region 含下级地区。")
def directory(session, args):
    return stats.directory_coverage(session, args.get("region"))


@api.get("/stats/never-drawn", EnterpriseSummarySchema, args=NeverDrawnArgs, many=True, tag=STATISTICS,
         summary="5 年内从未被抽中的名录主体", description="江苏省实施方案要求提高其被抽中的概率；region 含下级地区。")
def never_drawn(session, args):
    return ListQuery(MarketEntity, never_drawn_filters(session, args.get("region")))


@api.get("/stats/burden", BurdenSchema, args=YearArgs, many=True, tag=STATISTICS, summary="检查负担",
         description="同一年度被两个及以上抽查任务检查的市场主体（进一次门、查多项事）。")
def burden(session, args):
    return stats.burden(session, args.get("year"))


@api.get("/stats/credit-link", CreditLinkSchema, args=YearArgs, many=True, tag=STATISTICS, summary="信用关联",
         description="按信用风险分类的抽查频次、发现问题率，以及其后 180 日内的行政处罚和列入经营异常名录。")
def credit_link(session, args):
    return stats.credit_link(session, args.get("year"))


@api.get("/stats/draw-audit", DrawAuditRowSchema, args=DrawAuditArgs, many=True, tag=STATISTICS,
         summary="抽取随机性审计", description="不定向抽查任务抽中的市场主体是否像从名录库中随机抽取：每个机关、年度、"
         "分组（主体类型、地区、登记年限、行业、重复抽取）的实际与预期抽中户数、精确检验的 p 值与 BH 校正后的 q 值。"
         "未导入名录库时没有条目。方法见 /about#draw-audit。")
def draw_audit_rows(session, args):
    audit = draw_audit_once(session)
    return draw_audit.items(draw_audit.select_offices(audit, args.get("year"), args.get("office"),
                                                      args.get("department"), args.get("region")))


@api.get("/search", SearchPageSchema, args=SearchArgs, tag=SEARCH, summary="搜索市场主体、抽查任务、计划和抽查事项",
         description="名称可只写两三个字，也可输入统一社会信用代码；最多翻到前 1000 条结果。",
         unavailable="搜索索引尚未建立或正在重建")
def search_all(session, args):
    limit, page = args["limit"], max(1, int(args.get("cursor", "1")))
    beyond = (page - 1) * limit >= search.MAX_RESULTS  # past the deepest page: an empty page, not an error
    try:
        result = search.search(current_app.config["GONGSHI_INDEX_DIR"], args["q"], type=args.get("type"),
                               page=1 if beyond else page, per_page=limit)
    except search.SearchUnavailable as exc:
        raise ApiError(503, f"搜索暂不可用：{exc}") from exc
    except search.QueryError as exc:
        raise invalid("q", str(exc)) from exc
    hits = [] if beyond else result.hits
    more = not beyond and page * limit < min(result.total, search.MAX_RESULTS)
    return {"items": [_hit(h) for h in hits], "next": next_url(page + 1 if more else None), "total": result.total,
            "total_exact": result.total_exact, "suggestions": result.suggestions}


HIT_KEYS = {"enterprise": "uscc", "task": "task_no", "plan": "plan_no", "check_item": "id"}
HIT_URLS = {"enterprise": ("api_v1.enterprise", "uscc"), "task": ("api_v1.task", "task_no"),
            "plan": ("api_v1.plan", "plan_no")}


def _hit(hit) -> dict:
    keys = dict.fromkeys(HIT_KEYS.values())
    if hit.type != "enterprise" or USCC_RE.match(hit.key):  # an entity known by its 注册号 has no uscc
        keys[HIT_KEYS[hit.type]] = int(hit.key) if hit.type == "check_item" else hit.key
    route = HIT_URLS.get(hit.type)
    url = external_url(route[0], **{route[1]: hit.key}) if route and keys[route[1]] else None
    return {"type": hit.type, "key": hit.key, **keys, "name": hit.name, "highlight": hit.highlight, "url": url,
            "extra": hit.extra}


def _missing(what: str, key: object):
    raise not_found(what, key)
