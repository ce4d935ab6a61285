"""Generate the what-if base rounds in this folder (seeded, reproducible).

    .venv/bin/python scenarios/generate.py          # rewrites scenarios/*.json base rounds

Each base round is modelled on a published case (see scenarios/README.md):
real street and community names, coordinates scattered plausibly around the
real places, sizes following the published figures where there are any. The
quantities themselves are invented. The scenario files (those with a
``"base"``) are written by hand and are not touched by this script.
"""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

HERE = Path(__file__).parent

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]
ALL_DAYS = WEEKDAYS + WEEKEND


def jitter(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    """A point uniformly within ``metres`` of (lat, lon)."""
    r = metres * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = r * math.cos(a) / 111_195.0
    dlon = r * math.sin(a) / (111_195.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def split_total(rng: random.Random, total: int, parts: int, lo: int) -> list[int]:
    """``parts`` integers >= lo summing to ``total``."""
    weights = [rng.random() + 0.3 for _ in range(parts)]
    free = total - lo * parts
    raw = [free * w / sum(weights) for w in weights]
    out = [lo + int(v) for v in raw]
    for k in range(total - sum(out)):
        out[k % parts] += 1
    return out


def write(name: str, doc: dict) -> None:
    (HERE / name).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------
# 1. 西城区 西长安街沿线 潮汐停车: 673 spaces of units opened at night/weekends
# --------------------------------------------------------------------------
def xicheng_tidal_parking() -> dict:
    rng = random.Random(20231)
    units = [
        ("国家大剧院", 39.9035, 116.3893), ("中国人民银行总行", 39.9079, 116.3680),
        ("中国银行总行", 39.9076, 116.3645), ("民族文化宫", 39.9066, 116.3580),
        ("北京市第一五九中学", 39.9060, 116.3752), ("西单图书大厦", 39.9074, 116.3707),
        ("北京电报大楼", 39.9082, 116.3602), ("国家电网公司", 39.9068, 116.3548),
        ("北京市西城区人民政府", 39.9120, 116.3660), ("中国工商银行总行", 39.9150, 116.3620),
        ("西单大悦城", 39.9110, 116.3720), ("北京音乐厅", 39.9031, 116.3825),
        ("新华社", 39.9010, 116.3773), ("北京市第四中学", 39.9328, 116.3763),
        ("长安大戏院（西区停车场）", 39.9050, 116.3600),
    ]
    caps = split_total(rng, 673, len(units), 15)  # published: 673 spaces along West Chang'an Avenue
    night = [{"days": WEEKDAYS, "start": "19:00", "end": "07:30"}, {"days": WEEKEND, "start": "00:00", "end": "24:00"}]
    late = [{"days": WEEKDAYS, "start": "21:00", "end": "07:00"}, {"days": WEEKEND, "start": "00:00", "end": "24:00"}]
    providers, resources = [], []
    for k, ((name, lat, lon), cap) in enumerate(zip(units, caps)):
        pid = f"U-{k + 1:03d}"
        providers.append({"id": pid, "name": name, "kind": "unit"})
        la, lo = jitter(rng, lat, lon, 80)
        resources.append({"id": f"R-{k + 1:03d}", "provider_id": pid, "category": "parking", "capacity": cap,
                          "lat": la, "lon": lo, "max_distance_m": 1000 if k % 4 else 800,
                          "min_quantity": 1, "windows": late if k in (4, 13) else night})
    communities = [  # 西长安街街道 / 金融街街道 / 天桥 hutong communities
        ("C-FYJ", "府右街社区", 39.9110, 116.3830), ("C-LBK", "六部口社区", 39.9070, 116.3790),
        ("C-XDB", "西单北社区", 39.9135, 116.3735), ("C-ZS", "钟声社区", 39.9160, 116.3800),
        ("C-NCJ", "南长街社区", 39.9120, 116.3890), ("C-BXHJ", "北新华街社区", 39.9040, 116.3830),
        ("C-XHCG", "西黄城根南街社区", 39.9190, 116.3760), ("C-HPM", "和平门社区", 39.8990, 116.3830),
        ("C-TJY", "太仆寺街社区", 39.9020, 116.3700), ("C-XRLJ", "新文化街社区", 39.9030, 116.3650),
        ("C-DMM", "东铁匠营社区", 39.8980, 116.3720), ("C-RMY", "二龙路社区", 39.9085, 116.3560),
    ]
    needs = []
    k = 0
    for cid, _name, lat, lon in communities:
        for _ in range(rng.randint(3, 5)):
            k += 1
            la, lo = jitter(rng, lat, lon, 250)
            evening = rng.random() < 0.7
            needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": "parking",
                          "quantity": rng.randint(6, 30), "lat": la, "lon": lo,
                          "priority": rng.choice([2, 3, 3, 4, 4, 5]), "max_distance_m": rng.choice([600, 800, 1000]),
                          "windows": [{"days": WEEKDAYS, "start": "20:00" if evening else "18:30", "end": "07:00"}]})
    return {"name": "西城区 西长安街沿线 潮汐停车（673个车位夜间和周末向胡同居民开放）",
            "params": {"max_distance_m": 1000, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 2. 湖州 "红色联盟" 课后托管: 376 lead units, 672 member units
# --------------------------------------------------------------------------
SCHOOLS = ["湖州市第一中学", "湖州市爱山小学", "湖州师范学院附属小学", "湖州市凤凰小学", "湖州市月河小学",
           "湖州市东风小学", "湖州市龙泉小学", "湖州市仁皇山小学"]


def huzhou_after_school() -> dict:
    rng = random.Random(20232)
    streets = [  # 吴兴区 / 南浔区 / 德清县 streets and their centres
        ("飞英街道", 30.8720, 120.0920, ["飞英社区", "潜园社区", "南园社区", "北门社区"]),
        ("爱山街道", 30.8650, 120.0990, ["馆驿河头社区", "衣裳街社区", "江南华苑社区", "南街社区"]),
        ("月河街道", 30.8580, 120.1080, ["月河社区", "吉山社区", "新村社区"]),
        ("朝阳街道", 30.8760, 120.0830, ["西山漾社区", "吴兴社区", "金盖社区"]),
        ("龙泉街道", 30.8890, 120.1040, ["龙溪社区", "凤凰社区", "仁北社区", "湖东社区"]),
        ("康山街道", 30.8450, 120.1300, ["康山社区", "城南社区"]),
        ("仁皇山街道", 30.9010, 120.0890, ["仁皇社区", "星湖社区", "弁南社区"]),
        ("滨湖街道", 30.9120, 120.1080, ["白雀社区", "滨湖社区"]),
    ]
    window = [{"days": WEEKDAYS, "start": "15:30", "end": "18:30"}]
    need_window = [{"days": WEEKDAYS, "start": "16:00", "end": "18:00"}]
    providers, resources, needs = [], [], []
    street_pts = [(s[1], s[2]) for s in streets]
    for k in range(376):  # 牵头单位: rooms and staff for after-school care (seats)
        lat, lon = street_pts[k % len(street_pts)]
        pid, la_lo = f"L-{k + 1:03d}", jitter(rng, lat, lon, 1400)
        name = SCHOOLS[k] if k < len(SCHOOLS) else f"牵头单位{k + 1:03d}"
        providers.append({"id": pid, "name": name, "kind": "unit"})
        resources.append({"id": f"R-L{k + 1:03d}", "provider_id": pid, "category": "after_school",
                          "capacity": rng.randint(4, 13), "lat": la_lo[0], "lon": la_lo[1], "windows": window})
    for k in range(672):  # 成员单位: volunteer tutors (homework help, tag 作业辅导) or interest classes
        lat, lon = street_pts[k % len(street_pts)]
        pid, la_lo = f"M-{k + 1:03d}", jitter(rng, lat, lon, 1400)
        providers.append({"id": pid, "name": f"成员单位{k + 1:03d}", "kind": "unit"})
        tag = rng.choice(["作业辅导", "作业辅导", "科普", "书法", "体育"])
        resources.append({"id": f"R-M{k + 1:03d}", "provider_id": pid, "category": "tutoring", "capacity": rng.randint(1, 4),
                          "lat": la_lo[0], "lon": la_lo[1], "tags": [tag], "windows": window})
    k = 0
    for street, lat, lon, comms in streets:
        for c, _cname in enumerate(comms):
            cid = f"C-{street[:2]}{c + 1}"
            clat, clon = jitter(rng, lat, lon, 900)
            for _ in range(rng.randint(3, 5)):
                k += 1
                la, lo = jitter(rng, clat, clon, 300)
                needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": "after_school",
                              "quantity": rng.randint(25, 70), "lat": la, "lon": lo,
                              "priority": rng.choice([3, 4, 4, 5]), "windows": need_window})
            for tag in rng.sample(["作业辅导", "科普", "书法", "体育"], 2):
                k += 1
                la, lo = jitter(rng, clat, clon, 300)
                needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": "tutoring",
                              "quantity": rng.randint(4, 14), "lat": la, "lon": lo, "required_tags": [tag],
                              "priority": rng.choice([2, 3, 3, 4]), "windows": need_window})
    return {"name": "湖州 红色联盟 课后托管（376家牵头单位、672家成员单位）",
            "params": {"max_distance_m": 1500, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 3. 回龙观 在职党员报到 特长认领 (each member claims 1-2 posts)
# --------------------------------------------------------------------------
SKILLS = ["科普", "书法", "合唱", "法律援助", "反诈情景剧"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]


def huilongguan_member_skills() -> dict:
    rng = random.Random(20233)
    comms = [  # 回龙观街道 / 龙泽园街道 / 史各庄街道 communities
        ("C-LTY1", "龙腾苑一区社区", 40.0760, 116.3270), ("C-LTY2", "龙腾苑二区社区", 40.0745, 116.3310),
        ("C-XLC", "新龙城社区", 40.0702, 116.3440), ("C-LXHY", "流星花园社区", 40.0820, 116.3380),
        ("C-LYY", "龙跃苑社区", 40.0690, 116.3190), ("C-YQY", "云趣园社区", 40.0770, 116.3550),
        ("C-TDY", "通达园社区", 40.0650, 116.3520), ("C-FYY", "风雅园社区", 40.0880, 116.3180),
        ("C-JYHF", "金域华府社区", 40.0950, 116.3050), ("C-LXY", "龙锦苑社区", 40.0860, 116.3450),
    ]
    providers, resources, needs = [], [], []
    for k in range(85):
        cid, _n, lat, lon = comms[k % len(comms)]
        pid = f"M-{k + 1:04d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        providers.append({"id": pid, "name": name, "kind": "member", "max_projects": rng.choice([1, 1, 2]),
                          "community_id": cid})
        skills = rng.sample(SKILLS, rng.choice([1, 1, 2]))
        la, lo = jitter(rng, lat, lon, 400)
        for s, skill in enumerate(skills):
            resources.append({"id": f"R-{k + 1:04d}{'ab'[s]}", "provider_id": pid, "category": "volunteer",
                              "capacity": rng.randint(1, 4), "lat": la, "lon": lo, "tags": [skill],
                              "windows": [{"days": WEEKEND, "start": "09:00", "end": "17:00"},
                                          {"days": WEEKDAYS, "start": "19:00", "end": "21:00"}]})
    k = 0
    for cid, _n, lat, lon in comms:
        for skill in rng.sample(SKILLS, 4):
            k += 1
            la, lo = jitter(rng, lat, lon, 200)
            day = rng.choice(WEEKEND + ["wed"])
            start = "19:00" if day == "wed" else rng.choice(["09:30", "14:00"])
            end = "20:30" if day == "wed" else ("11:30" if start == "09:30" else "16:00")
            needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": "volunteer",
                          "quantity": rng.randint(3, 8), "lat": la, "lon": lo, "required_tags": [skill],
                          "priority": 5 if skill == "反诈情景剧" else rng.choice([2, 3, 4]),
                          "windows": [{"days": [day], "start": start, "end": end}]})
    return {"name": "回龙观 在职党员回社区报到 特长认领（科普、书法、合唱、法律援助、反诈情景剧）",
            "params": {"max_distance_m": 1500, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 4. 福州 微心愿 (one-to-one or many-to-one claiming)
# --------------------------------------------------------------------------
def fuzhou_micro_wishes() -> dict:
    rng = random.Random(20234)
    comms = [  # 鼓楼区 / 台江区 communities
        ("C-SFQX", "三坊七巷社区", 26.0860, 119.2960), ("C-DJ", "东街社区", 26.0880, 119.3030),
        ("C-WYS", "乌山社区", 26.0790, 119.2930), ("C-PDJ", "屏东社区", 26.0950, 119.3020),
        ("C-HXJ", "华林社区", 26.0990, 119.3060), ("C-WLJ", "温泉社区", 26.0900, 119.3120),
        ("C-YQ", "营前社区", 26.0710, 119.3050), ("C-CZ", "茶亭社区", 26.0710, 119.3020),
        ("C-SGJ", "上杭社区", 26.0600, 119.3000),
    ]
    kinds = ["学习用品", "家电维修", "陪伴就医", "助老餐", "图书"]
    providers, resources, needs = [], [], []
    for k in range(55):
        cid, _n, lat, lon = comms[k % len(comms)]
        pid = f"M-{k + 1:03d}"
        providers.append({"id": pid, "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "kind": "member",
                          "max_projects": rng.choice([1, 2, 2, 3]), "community_id": cid})
        la, lo = jitter(rng, lat, lon, 1500)
        resources.append({"id": f"R-{k + 1:03d}", "provider_id": pid, "category": "micro_wish",
                          "capacity": rng.randint(1, 3), "lat": la, "lon": lo,
                          "tags": rng.sample(kinds, rng.choice([1, 2]))})
    for k in range(8):  # units claim wishes in bulk
        cid, _n, lat, lon = comms[rng.randrange(len(comms))]
        pid = f"U-{k + 1:02d}"
        providers.append({"id": pid, "name": f"驻区单位{k + 1}", "kind": "unit", "max_projects": 6})
        la, lo = jitter(rng, lat, lon, 1000)
        resources.append({"id": f"R-U{k + 1:02d}", "provider_id": pid, "category": "micro_wish",
                          "capacity": rng.randint(5, 12), "lat": la, "lon": lo, "tags": rng.sample(kinds, 3)})
    k = 0
    for cid, _n, lat, lon in comms:
        for _ in range(rng.randint(11, 15)):
            k += 1
            la, lo = jitter(rng, lat, lon, 300)
            many = rng.random() < 0.3  # many-to-one: a wish of several items, claimed in full
            needs.append({"id": f"W-{k:03d}", "community_id": cid, "category": "micro_wish",
                          "quantity": rng.randint(2, 4) if many else 1, "lat": la, "lon": lo,
                          "priority": rng.choice([2, 3, 4, 5]), "required_tags": [rng.choice(kinds)],
                          "all_or_nothing": many and rng.random() < 0.5})
    return {"name": "福州 鼓楼区 微心愿认领（一对一、多对一）",
            "params": {"max_distance_m": 2000, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 5. 遵义 楼栋需求: 老年助餐 and 入户探访 within the 15-minute circle (1200 m)
# --------------------------------------------------------------------------
def zunyi_building_needs() -> dict:
    rng = random.Random(20235)
    comms = [  # 红花岗区 / 汇川区 communities
        ("C-DXL", "丁字口社区", 27.7250, 106.9270), ("C-ZSL", "中山路社区", 27.7220, 106.9200),
        ("C-LYG", "老城社区", 27.7180, 106.9230), ("C-XQ", "新华社区", 27.7300, 106.9320),
        ("C-WJJ", "万里路社区", 27.7120, 106.9310), ("C-HCX", "汇川大道社区", 27.7360, 106.9380),
        ("C-SHL", "上海路社区", 27.7040, 106.9380),
    ]
    providers, resources, needs = [], [], []
    canteens = ["长征社区食堂", "遵义市第一人民医院职工食堂", "红花岗区机关食堂", "遵义医科大学食堂",
                "汇川区老年食堂", "万达广场商户联盟", "国网遵义供电公司食堂", "遵义市税务局食堂"]
    for k, name in enumerate(canteens):
        pid = f"U-{k + 1:02d}"
        providers.append({"id": pid, "name": name, "kind": "unit", "max_projects": 8})
        lat, lon = comms[k % len(comms)][2:]
        la, lo = jitter(rng, lat, lon, 500)
        resources.append({"id": f"R-MEAL{k + 1:02d}", "provider_id": pid, "category": "elderly_meals",
                          "capacity": rng.randint(25, 70), "lat": la, "lon": lo, "min_quantity": 3,
                          "windows": [{"days": ALL_DAYS, "start": "10:30", "end": "13:30"}]})
    for k in range(60):
        cid, _n, lat, lon = comms[k % len(comms)]
        pid = f"M-{k + 1:03d}"
        providers.append({"id": pid, "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "kind": "member",
                          "max_projects": rng.choice([1, 2]), "community_id": cid})
        la, lo = jitter(rng, lat, lon, 700)
        resources.append({"id": f"R-VISIT{k + 1:03d}", "provider_id": pid, "category": "home_visit",
                          "capacity": rng.randint(1, 3), "lat": la, "lon": lo,
                          "windows": [{"days": WEEKEND, "start": "09:00", "end": "18:00"}]})
    k = 0
    for cid, _n, lat, lon in comms:
        for _ in range(rng.randint(5, 7)):  # 楼栋: building-level needs
            k += 1
            la, lo = jitter(rng, lat, lon, 450)
            needs.append({"id": f"B-{k:03d}-MEAL", "community_id": cid, "category": "elderly_meals",
                          "quantity": rng.randint(4, 18), "lat": la, "lon": lo, "priority": rng.choice([3, 4, 5]),
                          "windows": [{"days": ALL_DAYS, "start": "11:00", "end": "12:30"}]})
            if rng.random() < 0.7:
                needs.append({"id": f"B-{k:03d}-VISIT", "community_id": cid, "category": "home_visit",
                              "quantity": rng.randint(1, 3), "lat": la, "lon": lo, "priority": rng.choice([3, 4, 5]),
                              "windows": [{"days": [rng.choice(WEEKEND)], "start": "14:00", "end": "16:00"}]})
    return {"name": "遵义 楼栋需求：老年助餐、入户探访（15分钟生活圈≈1200米）",
            "params": {"max_distance_m": 1200, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 6. 湖州 闲置国有房屋 -> 社区活动场地 (8-minute circle = 640 m)
# --------------------------------------------------------------------------
def huzhou_idle_rooms() -> dict:
    rng = random.Random(20236)
    owners = ["湖州市城市投资发展集团", "湖州市交通投资集团", "吴兴区国有资产投资控股公司",
              "湖州市产业投资发展集团", "湖州市水务集团", "湖州市文化旅游投资集团"]
    centres = [("飞英街道", 30.8720, 120.0920), ("爱山街道", 30.8650, 120.0990), ("月河街道", 30.8580, 120.1080),
               ("朝阳街道", 30.8760, 120.0830), ("龙泉街道", 30.8890, 120.1040)]
    comms = [("C-FY", "飞英社区", 30.8730, 120.0930), ("C-QY", "潜园社区", 30.8700, 120.0870),
             ("C-GYHT", "馆驿河头社区", 30.8640, 120.0960), ("C-YSJ", "衣裳街社区", 30.8665, 120.1010),
             ("C-YH", "月河社区", 30.8590, 120.1070), ("C-JS", "吉山社区", 30.8540, 120.1130),
             ("C-XSY", "西山漾社区", 30.8770, 120.0800), ("C-LX", "龙溪社区", 30.8880, 120.1020),
             ("C-FH", "凤凰社区", 30.8920, 120.1060), ("C-RB", "仁北社区", 30.8850, 120.1090)]
    uses = ["activity", "activity", "elderly_care"]
    providers = [{"id": f"S-{k + 1:02d}", "name": n, "kind": "unit", "max_projects": 6} for k, n in enumerate(owners)]
    resources, needs = [], []
    for k in range(34):  # rooms; capacity = half-day slots a week
        _s, lat, lon = centres[k % len(centres)]
        la, lo = jitter(rng, lat, lon, 900)
        resources.append({"id": f"ROOM-{k + 1:03d}", "provider_id": f"S-{k % len(owners) + 1:02d}",
                          "category": uses[k % 3], "capacity": rng.randint(4, 12), "lat": la, "lon": lo,
                          "windows": [{"days": ALL_DAYS, "start": "08:00", "end": "21:00"}]})
    k = 0
    for cid, _n, lat, lon in comms:
        for cat in ("activity", "elderly_care"):
            for _ in range(rng.randint(1, 3)):
                k += 1
                la, lo = jitter(rng, lat, lon, 250)
                needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": cat,
                              "quantity": rng.randint(2, 8), "lat": la, "lon": lo,
                              "priority": rng.choice([2, 3, 4]) if cat == "activity" else rng.choice([4, 5]),
                              "windows": [{"days": [rng.choice(ALL_DAYS)], "start": rng.choice(["09:00", "14:00"]),
                                           "end": "11:30" if rng.random() < 0.5 else "17:00"}]})
    for n in needs:  # an afternoon start with an 11:30 end would wrap past midnight: keep it same-day
        w = n["windows"][0]
        if w["start"] == "14:00" and w["end"] == "11:30":
            w["end"] = "16:30"
    return {"name": "湖州 闲置国有房屋改造社区活动场地（8分钟生活圈≈640米）",
            "params": {"max_distance_m": 640, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


# --------------------------------------------------------------------------
# 7. 杭州 骑手驿站: delivery riders' parking/charging and rest stations
# --------------------------------------------------------------------------
def hangzhou_rider_stations() -> dict:
    rng = random.Random(20237)
    hosts = [("武林广场 杭州大厦", 30.2750, 120.1640), ("湖滨银泰in77", 30.2590, 120.1660),
             ("西湖文化广场", 30.2790, 120.1690), ("凤起路 中国银行", 30.2670, 120.1650),
             ("庆春路 工商银行", 30.2600, 120.1740), ("城站 火车站派出所", 30.2450, 120.1780),
             ("南宋御街 社区服务中心", 30.2480, 120.1700), ("拱墅区 米市巷街道", 30.2920, 120.1630),
             ("上城区 小营街道", 30.2600, 120.1810), ("朝晖 中石化加油站", 30.2840, 120.1730),
             ("浙江大学附属第一医院", 30.2580, 120.1800), ("杭州市总工会 职工服务中心", 30.2700, 120.1590)]
    providers, resources, needs = [], [], []
    for k, (name, lat, lon) in enumerate(hosts):
        pid = f"U-{k + 1:02d}"
        providers.append({"id": pid, "name": name, "kind": "unit"})
        la, lo = jitter(rng, lat, lon, 60)
        resources.append({"id": f"R-{k + 1:02d}-REST", "provider_id": pid, "category": "rider_rest",
                          "capacity": rng.randint(6, 20), "lat": la, "lon": lo,
                          "tags": ["充电"] if k % 3 else ["充电", "饮水"],
                          "windows": [{"days": ALL_DAYS, "start": "10:00", "end": "22:00"}]})
        if k % 2 == 0:
            resources.append({"id": f"R-{k + 1:02d}-PARK", "provider_id": pid, "category": "rider_parking",
                              "capacity": rng.randint(15, 40), "lat": la, "lon": lo,
                              "windows": [{"days": ALL_DAYS, "start": "00:00", "end": "24:00"}]})
    clusters = [("C-WL", "武林街道", 30.2740, 120.1620), ("C-HB", "湖滨街道", 30.2570, 120.1680),
                ("C-XY", "小营街道", 30.2620, 120.1790), ("C-CH", "朝晖街道", 30.2860, 120.1720),
                ("C-MSX", "米市巷街道", 30.2930, 120.1600), ("C-QB", "清波街道", 30.2440, 120.1680)]
    k = 0
    for cid, _n, lat, lon in clusters:
        for cat in ("rider_rest", "rider_parking"):
            for _ in range(rng.randint(2, 4)):
                k += 1
                la, lo = jitter(rng, lat, lon, 500)
                peak = rng.choice([("11:00", "13:30"), ("17:00", "20:00")])
                needs.append({"id": f"N-{k:03d}", "community_id": cid, "category": cat,
                              "quantity": rng.randint(5, 25), "lat": la, "lon": lo,
                              "priority": rng.choice([3, 4]), "max_distance_m": 800,
                              "required_tags": ["充电"] if cat == "rider_rest" and rng.random() < 0.5 else [],
                              "windows": [{"days": ALL_DAYS, "start": peak[0], "end": peak[1]}]})
    return {"name": "杭州 骑手驿站（外卖骑手停车、充电与歇脚）",
            "params": {"max_distance_m": 1500, "time_limit_s": 30},
            "providers": providers, "resources": resources, "needs": needs, "locked": [], "forbidden": []}


BASES = {
    "xicheng_tidal_parking.json": xicheng_tidal_parking,
    "huzhou_after_school.json": huzhou_after_school,
    "huilongguan_member_skills.json": huilongguan_member_skills,
    "fuzhou_micro_wishes.json": fuzhou_micro_wishes,
    "zunyi_building_needs.json": zunyi_building_needs,
    "huzhou_idle_rooms.json": huzhou_idle_rooms,
    "hangzhou_rider_stations.json": hangzhou_rider_stations,
}


def main() -> None:
    for name, make in BASES.items():
        write(name, make())
        print(f"wrote scenarios/{name}")


if __name__ == "__main__":
    main()
