"""The cycle from the command line (CliRunner on the app's database): `matcher decide` is the decisions batch,
all or nothing, naming each refused project by its option; `matcher project event` follows the lifecycle;
`matcher bans list | lift` are GET /bans and POST /bans/lift; another committee's rounds, projects and bans are
not found (exit 2)."""
from __future__ import annotations

import json

from click.testing import CliRunner
from test_cycle_api import all_events, projects_of, solved_round
from test_lists_api import seed_lists

from matcher.cli import main

XICHENG, HUZHOU = "西城区党建协调委员会", "湖州某街道委员会"  # the committees of the auth / other_auth fixtures


def cli(app, *args: str):
    out = CliRunner().invoke(main, [*args, "--database-url", app.config["DATABASE_URL"]])
    assert "Traceback" not in out.output
    return out


def a_round(client, auth) -> tuple[str, dict]:
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    return rnd["id"], projects_of(client, auth, rnd["id"])


def statuses(client, auth, round_id: str) -> dict[str, str]:
    return {need: p["status"] for need, p in projects_of(client, auth, round_id).items()}


def test_decide_records_the_batch_as_the_api_does(app, client, auth):
    rid, p = a_round(client, auth)
    out = cli(app, "decide", rid, "--committee", XICHENG, "--approve", p["N1"]["project_id"],
              "--reject", p["N2"]["project_id"], "--reason", "太远", "--note", "第3次会议", "--actor", "李委员")
    assert out.exit_code == 0, out.output
    assert f"{p['N1']['project_id']}: approved" in out.output and "2 decision(s) recorded" in out.output
    assert statuses(client, auth, rid) == {"N1": "approved", "N2": "rejected"}
    assert projects_of(client, auth, rid)["N2"]["reason"] == "太远"
    moves = all_events(client, auth, kind="project.transition")
    assert [(e["actor"], e["note"], e["after"]) for e in moves] == [
        ("李委员", "第3次会议", {"status": "approved"}),
        ("李委员", "第3次会议", {"status": "rejected", "reason": "太远"})]


def test_a_refused_decision_names_each_project_and_changes_nothing(app, client, auth, other_auth):
    rid, p = a_round(client, auth)
    n1, n2 = p["N1"]["project_id"], p["N2"]["project_id"]
    assert cli(app, "decide", rid, "--committee", XICHENG, "--approve", n1).exit_code == 0
    before = all_events(client, auth)
    out = cli(app, "decide", rid, "--committee", XICHENG, "--hold", n2, "--reject", n1, "--reason", "x")
    assert out.exit_code == 2
    assert f"--reject {n1}: project {n1} is approved; approved -> rejected is not allowed" in out.output
    assert f"--hold {n2}" not in out.output  # its move alone was fine
    both = cli(app, "decide", rid, "--committee", XICHENG, "--approve", f"{n1},{n2}")
    assert both.exit_code == 2 and f"--approve {n1}: project {n1} is approved" in both.output
    unknown = cli(app, "decide", rid, "--committee", XICHENG, "--approve", f"{n2},P-9999")
    assert unknown.exit_code == 2 and "--approve P-9999: no project P-9999" in unknown.output
    assert all_events(client, auth) == before and statuses(client, auth, rid) == {"N1": "approved", "N2": "proposed"}
    for args, message in ((["--reject", n2], "--reason is required with --reject"),
                          (["--approve", n2, "--reason", "x"], "--reason goes with --reject"),
                          ([], "give at least one project")):
        usage = cli(app, "decide", rid, "--committee", XICHENG, *args)
        assert usage.exit_code == 2 and message in usage.output
    other = cli(app, "decide", rid, "--committee", HUZHOU, "--approve", n2)
    assert other.exit_code == 2 and f"no round {rid} of committee '{HUZHOU}'" in other.output
    assert all_events(client, auth) == before


def test_project_event_follows_the_lifecycle(app, client, auth, other_auth):
    rid, p = a_round(client, auth)
    approved = cli(app, "decide", rid, "--committee", XICHENG, "--approve", f"{p['N1']['project_id']},{p['N2']['project_id']}")
    assert approved.exit_code == 0, approved.output
    one, two = p["N1"]["id"], p["N2"]["id"]
    event = ("project", "event")
    early = cli(app, *event, one, "--committee", XICHENG, "--to", "done")
    assert early.exit_code == 2 and "--to: project" in early.output and "approved -> done is not allowed" in early.output
    for args in (["--to", "in_service"], ["--to", "done", "--satisfaction", "2", "--comment", "灯还是暗"]):
        out = cli(app, *event, one, "--committee", XICHENG, *args)
        assert out.exit_code == 0 and out.output.startswith(f"{one}: {args[1]}"), out.output
    reopened = cli(app, *event, one, "--committee", XICHENG, "--to", "reopened", "--note", "回访")
    assert reopened.exit_code == 0 and f"{one}: reopened" in reopened.output
    need_id = f"N1~{one}"
    assert f"need {need_id} ({p['N1']['quantity']} units) is back in the lists" in reopened.output
    need = client.get(f"/api/v1/lists/needs/{need_id}", headers=auth).json
    assert need["origin_project_id"] == one and need["quantity"] == p["N1"]["quantity"]
    feedback = all_events(client, auth, subject=one)
    assert [e["after"] for e in feedback][-2:] == [
        {"status": "done", "satisfaction": 2, "comment": "灯还是暗"}, {"status": "reopened"}]
    cli(app, *event, two, "--committee", XICHENG, "--to", "in_service")
    no_reason = cli(app, *event, two, "--committee", XICHENG, "--to", "failed")
    assert no_reason.exit_code == 2 and "--reason: is required for failed" in no_reason.output
    assert cli(app, *event, two, "--committee", XICHENG, "--to", "failed", "--reason", "no_show").exit_code == 0
    assert cli(app, *event, two, "--committee", XICHENG, "--to", "done", "--satisfaction", "6").exit_code == 2
    other = cli(app, *event, two, "--committee", HUZHOU, "--to", "cancelled")
    assert other.exit_code == 2 and f"no project {two}" in other.output
    assert statuses(client, auth, rid) == {"N1": "reopened", "N2": "failed"}


def test_bans_from_the_command_line(app, client, auth, other_auth):
    rid, p = a_round(client, auth)
    cli(app, "decide", rid, "--committee", XICHENG, "--reject", p["N2"]["project_id"], "--reason", "太远")
    listed = cli(app, "bans", "list", "--committee", XICHENG)
    assert listed.exit_code == 0 and f"N2 x R1: rejected in {p['N2']['id']}" in listed.output and "(太远)" in listed.output
    as_json = json.loads(cli(app, "bans", "list", "--committee", XICHENG, "--json").output)
    assert as_json == client.get("/api/v1/bans", headers=auth).json["items"]
    assert cli(app, "bans", "list", "--committee", HUZHOU).output.strip() == "no bans"
    assert cli(app, "bans", "lift", "N2", "R1", "--committee", HUZHOU).exit_code == 2
    lifted = cli(app, "bans", "lift", "N2", "R1", "--committee", XICHENG, "--note", "居民同意了")
    assert lifted.exit_code == 0 and "ban on N2 x R1 lifted at" in lifted.output
    (event,) = all_events(client, auth, kind="ban.lifted")
    assert event["actor"].startswith("cli") and event["note"] == "居民同意了"
    assert client.get("/api/v1/bans", headers=auth).json["count"] == 0
    again = cli(app, "bans", "lift", "N2", "R1", "--committee", XICHENG)
    assert again.exit_code == 2 and "no ban on need 'N2' with resource 'R1'" in again.output
    missing = cli(app, "bans", "list", "--committee", "无此委员会")
    assert missing.exit_code == 2 and "no committee" in missing.output


def test_round_ids_regression_never_start_like_an_option():
    # a round id from token_urlsafe began with "-" about once in 32 rounds: `matcher decide -3Xy… --approve …`
    # then failed with "No such option '-3'" (CI, 2026-12-02). Ids are letters and digits now.
    from matcher.store.repo import ID_LENGTH, new_id
    ids = {new_id() for _ in range(5_000)}
    assert len(ids) == 5_000
    assert all(len(i) == ID_LENGTH and i.isascii() and i.isalnum() for i in ids)
