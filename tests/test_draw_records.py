"""Published draw records: ingested (kind `draw`), shown on their task's page with the record to
download and the command that re-runs it; a record that contradicts itself is refused."""
import json

import pytest
from click.testing import CliRunner

from gongshi.app import create_app
from gongshi.cli import main
from gongshi.ingest.errors import IngestError
from gongshi.ingest.pipeline import Options
from tests.factories import ingest, write_csv
from tests.test_draw import HEADER, directory_rows

TASK = "320600-2024-SJ-007"
TASK_HEADER = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "检查主体", "抽取比例", "计划抽取日期"]


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def published(cli, tmp_path):
    """A directory of 30 and the record of a draw of 10% of it for TASK."""
    directory = write_csv(tmp_path / "名录库.csv", HEADER, directory_rows(30))
    result = cli("draw", "--directory", directory, "--ratio", "10%", "--seed", "2024年第七批 4月1日",
                 "--task", TASK, "--out", tmp_path / "record.json")
    assert result.exit_code == 0, result.output
    return directory, tmp_path / "record.json"


def test_a_record_is_shown_on_its_task_page_and_its_download_verifies(db, settings, tmp_path, cli, published):
    directory, record_path = published
    ingest(db, settings, str(write_csv(tmp_path / "tasks.csv", TASK_HEADER, [
        ["320600-2024-SJ", "南通市市场监督管理局2024年度抽查计划", TASK, "2024年度个体工商户公示信息抽查", "不定向",
         "南通市市场监督管理局", "10%", "2024-04-01"]])), Options(kind="task"))
    report = ingest(db, settings, str(record_path))  # detected by its "algorithm" field
    assert report.kind == "draw" and report.counts["inserted"] == 1
    assert ingest(db, settings, str(record_path)).status == "unchanged"

    client = create_app(settings, database=db).test_client()
    html = client.get(f"/tasks/{TASK}").get_data(as_text=True)
    assert "本次抽取可复核" in html and "2024年第七批 4月1日" in html and "3 户" in html
    assert "gongshi draw --verify draw-" in html and "--directory 名录库.csv" in html
    download = client.get(_record_link(html))
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.get_json() == json.loads(record_path.read_text(encoding="utf-8"))

    again = tmp_path / "downloaded.json"
    again.write_bytes(download.data)
    result = cli("draw", "--verify", again, "--directory", directory)
    assert result.exit_code == 0 and "一致" in result.output


def _record_link(html: str) -> str:
    start = html.index('href="/tasks/', html.index("本次抽取可复核")) + len('href="')
    return html[start: html.index('"', start)]


def test_a_record_whose_selection_does_not_follow_is_refused(db, settings, published):
    _, record_path = published
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["selected"][0] = next(u for u in record["directory"]["usccs"] if u not in record["selected"])
    record_path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(IngestError) as refused:
        ingest(db, settings, str(record_path))
    assert "不应被抽中" in str(refused.value)


def test_a_malformed_record_is_refused_with_a_clear_message(cli, tmp_path, monkeypatch, published):
    monkeypatch.setenv("GONGSHI_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("GONGSHI_DATABASE_URL", raising=False)
    _, record_path = published
    record = json.loads(record_path.read_text(encoding="utf-8"))
    del record["selected"]
    record_path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = cli("ingest", record_path)
    assert result.exit_code == 1
    assert "拒绝导入" in result.output and "抽取记录缺少字段：selected" in result.output
