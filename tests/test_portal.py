"""The portal's home page, through its HTTP interface."""
from gongshi.app import create_app
from tests.factories import ingest, uscc, write_csv

HEADER = ["统一社会信用代码", "企业名称", "抽查任务编号", "抽查任务名称", "抽查机关", "检查结果", "检查完成日期"]


def test_home_shows_latest_results_escaped_and_in_few_queries(db, settings, tmp_path, query_counter):
    rows = [[uscc(i), f"南通市测试商店{i}", "320600-2024-SJ-001", "测试任务", "南通市市场监督管理局", "未发现问题", f"2024-05-{i:02d}"]
            for i in range(1, 26)]
    rows.append([uscc(99), "<script>alert(1)</script>商行", "320600-2024-SJ-001", "测试任务", "南通市市场监督管理局", "未发现问题", "2024-06-30"])
    ingest(db, settings, str(write_csv(tmp_path / "r.csv", HEADER, rows)))
    client = create_app(settings, database=db).test_client()
    query_counter.clear()
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'lang="zh-CN"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;商行" in page and "<script>alert" not in page
    assert "南通市测试商店25" in page and "南通市测试商店1<" not in page  # newest 20 only
    assert "r.csv" in page  # where the data came from
    assert len([q for q in query_counter if q.lstrip().upper().startswith("SELECT")]) <= 8


def test_home_on_an_empty_store_says_how_to_load_data(db, settings):
    page = create_app(settings, database=db).test_client().get("/").get_data(as_text=True)
    assert "尚未导入任何抽查结果" in page and "gongshi demo" in page
