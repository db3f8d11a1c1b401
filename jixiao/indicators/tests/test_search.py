"""Chinese search: word order, partial words, two-character queries, ranking, filters, permissions, and keeping
every process's index in step with the database."""

import pytest

from jixiao.core.permissions import actor_for
from jixiao.indicators import search, selectors, services
from jixiao.indicators.models import Indicator
from jixiao.indicators.selectors import LibraryFilters
from jixiao.indicators.tests.factories import definition

LIBRARY = [
    ("学生资助人数", "反映按规定获得资助的家庭经济困难学生人数。", "教育", "学生资助", "output", "数量指标", "人"),
    ("资助资金发放及时率", "反映资助资金按时发放到学生的情况。", "教育", "学生资助", "output", "时效指标", "%"),
    ("校舍维修改造面积", "反映年度完成维修改造的校舍面积。", "教育", "义务教育", "output", "数量指标", "平方米"),
    ("义务教育阶段学生人数", "在校学生数。", "教育", "义务教育", "output", "数量指标", "人"),
    ("教师培训人次", "反映教师参加培训的人次。", "教育", "教师队伍建设", "output", "数量指标", "人次"),
    ("65岁以上老年人健康管理人数", "为老年人提供健康管理服务的人数。", "卫生健康", "公共卫生", "output",
     "数量指标", "人"),
    ("适龄儿童疫苗接种率", "反映适龄儿童按程序接种疫苗的比例。", "卫生健康", "疾病预防控制", "benefit",
     "社会效益指标", "%"),
    ("农村公路养护里程", "反映年度完成养护的农村公路里程。", "交通运输", "农村公路", "output", "数量指标", "公里"),
    ("服务对象满意度", "反映服务对象对项目实施的满意程度。", "", "", "satisfaction", "服务对象满意度指标", "%"),
    ("高标准农田建设面积", "反映年度新建高标准农田面积。", "农业农村", "高标准农田", "output", "数量指标", "亩"),
    ("困难群众救助人数", "反映获得临时救助的困难群众人数，含学生家庭。", "社会保障和就业", "社会救助", "output",
     "数量指标", "人"),
]


@pytest.fixture
def library(cast, sectors, curator):
    out = {}
    for name, expl, sector, domain, l1, l2, unit in LIBRARY:
        out[name] = services.indicator_create(actor=curator, data=definition(
            name=name, explanation=expl, sector_id=sectors[sector].pk if sector else None,
            domain_id=sectors[domain].pk if domain else None, level1=l1, level2=l2, unit=unit))
    return out


def names(actor, q, **kw):
    page = selectors.indicator_search(actor, LibraryFilters(q=q, **kw), page_size=50)
    return [i.name for i in page.items]


def test_word_order_finds_the_indicator(library, curator):
    got = names(curator, "资助学生")
    assert got[0] == "学生资助人数"
    assert "校舍维修改造面积" not in got and "教师培训人次" not in got


def test_partial_words_and_two_character_queries(library, curator):
    assert names(curator, "生资")[0] == "学生资助人数"  # across the word boundary
    assert names(curator, "疫苗")[0] == "适龄儿童疫苗接种率"
    assert names(curator, "养护")[0] == "农村公路养护里程"
    assert "校舍维修改造面积" in names(curator, "维修")
    assert names(curator, "接种疫苗")[0] == "适龄儿童疫苗接种率"
    assert names(curator, "老年人健康")[0] == "65岁以上老年人健康管理人数"


def test_name_outranks_explanation(library, curator):
    got = names(curator, "救助")
    assert got[0] == "困难群众救助人数"
    got = names(curator, "学生")
    # names containing 学生 first; the explanation-only hit (困难群众救助人数) after them
    assert got.index("困难群众救助人数") > got.index("学生资助人数")
    assert got.index("困难群众救助人数") > got.index("义务教育阶段学生人数")


def test_exact_phrase_and_usage_boost(library, curator):
    got = names(curator, "满意度")
    assert got == ["服务对象满意度"]
    a = library["学生资助人数"]
    b = library["义务教育阶段学生人数"]
    first = names(curator, "学生人数")
    assert first[0] == "义务教育阶段学生人数"  # the exact phrase 学生人数 is in its name
    services.indicator_usage_add(indicator_ids=[a.pk], delta=500)
    assert names(curator, "学生")[0] == "学生资助人数"
    del b


def test_sector_preference(library, cast, curator):
    page = selectors.indicator_search(curator, LibraryFilters(q="人数"), page_size=50)
    plain = [i.name for i in page.items]
    health = library["65岁以上老年人健康管理人数"].sector_id
    page = selectors.indicator_search(curator, LibraryFilters(q="人数"), page_size=50, prefer_sector_id=health)
    preferred = [i.name for i in page.items]
    assert preferred.index("65岁以上老年人健康管理人数") < plain.index("65岁以上老年人健康管理人数") or \
        preferred[0] == "65岁以上老年人健康管理人数"


def test_filters_and_code(library, sectors, curator):
    assert names(curator, "人数", sector_id=sectors["卫生健康"].pk) == ["65岁以上老年人健康管理人数"]
    assert names(curator, "资助", level2="时效指标") == ["资助资金发放及时率"]
    assert names(curator, "满意", level1="output") == []
    code = library["教师培训人次"].code
    assert names(curator, code.lower())[0] == "教师培训人次"


def test_single_character_and_nonsense(library, curator):
    assert set(names(curator, "率")) == {"资助资金发放及时率", "适龄儿童疫苗接种率"}
    assert names(curator, "火箭发射") == []
    assert names(curator, "，。！") == []  # punctuation only: nothing to search


def test_pagination_and_total(library, curator):
    page = selectors.indicator_search(curator, LibraryFilters(q="人"), page=2, page_size=2)
    assert page.total >= 5 and len(page.items) == 2 and page.page == 2


def test_search_respects_read_rights(library, cast):
    clerk = actor_for(cast.clerk_b)
    county = actor_for(cast.county_admin)
    province = actor_for(cast.province_admin)
    assert "学生资助人数" in names(clerk, "资助学生")  # a department reads its region's library
    assert names(county, "资助学生")[0] == "学生资助人数"  # the county reads the city's (a region above)
    assert names(province, "资助学生") == []  # the province does not read the city's
    services.indicator_retire(actor=actor_for(cast.finance_admin), indicator=library["学生资助人数"])
    assert "学生资助人数" not in names(clerk, "资助学生")
    assert "学生资助人数" in names(actor_for(cast.finance_admin), "资助学生", status="all")


def test_highlight():
    q = search.parse_query("资助学生")
    assert search.highlight_html("学生资助人数<b>", q) == "<mark>学生资助</mark>人数&lt;b&gt;"
    assert search.highlight_html("", q) == ""


def test_other_processes_catch_up_through_the_change_log(library, curator):
    """Two indexes stand for two web workers: a change made through one is seen by the other without a rebuild."""
    other = search.LibrarySearch()
    assert other.search("资助学生").hits
    index_before = other._state.index
    ind = library["农村公路养护里程"]
    services.indicator_update(actor=curator, indicator=ind, data={"name": "农村公路学生接送里程"},
                              expected_lock_version=ind.lock_version)
    result = other.search("学生接送")
    assert [h.id for h in result.hits] == [ind.pk]
    assert other._state.index is index_before and index_before.dead == 1  # applied incrementally


def test_bulk_inserts_need_a_rebuild_signal(library, curator):
    other = search.LibrarySearch()
    other.search("资助")
    Indicator.objects.bulk_create([Indicator(code="BULK1", name="幼儿园保教费减免人数", level1="output",
                                             level2="数量指标", unit="人")])
    assert not other.search("保教费").hits  # invisible until someone signals the bulk change
    services.indicator_index_rebuild()
    assert [h.id for h in other.search("保教费").hits] == [Indicator.objects.get(code="BULK1").pk]


def test_a_reset_database_is_noticed(db):
    """An index that remembers a revision the change log does not hold (restored backup, test rollback) rebuilds."""
    idx = search.LibrarySearch()
    stale = search.InvertedIndex()
    idx._state = search._State(index=stale, revision=7, token="deadbeef")
    assert idx.ensure_fresh() is not stale and idx._state.token != "deadbeef"


@pytest.mark.parametrize("q,units", [("资助学生", ["资助", "学生"]), ("生资", ["生资"]), ("学 生", ["学生"]),
                                     ("GDP增长率", ["gdp", "增长率"])])
def test_query_parsing(q, units):
    assert search.parse_query(q).units == units


def test_snapshots_let_other_processes_skip_the_build(library, curator, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(search.snapshots, "MIN_DOCS", 1)
    services.indicator_index_rebuild()
    first = search.LibrarySearch()
    expected = [(h.id, h.score) for h in first.search("资助学生").hits]
    assert len(list((tmp_path / "cache").glob("indicator-index-*.bin"))) == 1
    monkeypatch.setattr(search.InvertedIndex, "build", lambda *a, **k: pytest.fail("the snapshot should be loaded"))
    second = search.LibrarySearch()
    assert [(h.id, h.score) for h in second.search("资助学生").hits] == expected
    assert names(curator, "疫苗") == ["适龄儿童疫苗接种率"]


def test_dump_skips_dead_slots(library, curator):
    index = search.InvertedIndex()
    from jixiao.indicators.models import Indicator as Ind

    index.build(search.Doc(*r) for r in Ind.objects.values_list(*search.DOC_FIELDS))
    ind = library["农村公路养护里程"]
    index.upsert(search.Doc(*Ind.objects.filter(pk=ind.pk).values_list(*search.DOC_FIELDS).get()))
    loaded = search.InvertedIndex.load(index.dump())
    assert loaded.dead == 0 and loaded.size == index.size == len(LIBRARY)
    q = search.parse_query("公路养护")
    assert [h.id for h in loaded.search(q)[0]] == [h.id for h in index.search(q)[0]]


def test_bulk_rebuild_warms_the_index_in_the_background(db, django_capture_on_commit_callbacks):
    search.library_search.reset()
    with django_capture_on_commit_callbacks(execute=True):
        revision = services.indicator_index_rebuild()
    assert search.library_search._state.index is not None and search.library_search.revision == revision
