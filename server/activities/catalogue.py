"""The programmes of the seeds, as data an organisation adopts and then edits (docs/activities.md).

Seed 000 (Qinhuangdao, "港城党旗红，先锋在行动") and annex 6 of seed 001 (党员直接联系服务群众活动方案).
Where a seed gives no number (tourism and traffic duty), the quota is one a month in season, to
be set by the organisation. ``source`` quotes the seed's sentence.
"""

from __future__ import annotations

from typing import Any

SEED_000: list[dict[str, Any]] = [
    {"code": "good_deed", "name": "接力沈汝波为民做好事", "kind": "good_deed", "cadence": "month", "quota": 1,
     "source": "党员也可根据实际情况，选择适合自己的服务方式，从身边小事做起，"
               "每月至少做1件实实在在的好事，为群众排忧解难。"},
    {"code": "community_service", "name": "服务社区一对一", "kind": "community_service", "cadence": "month", "quota": 1,
     "source": "充分利用节假日等业余时间，每月组织党员至少深入所联系社区1次"},
    {"code": "city_cleaning", "name": "全民洗城焕新颜", "kind": "seasonal_duty", "cadence": "month", "quota": 2,
     "season_months": [3, 4, 5, 6, 7, 8, 9, 10],
     "source": "3月至10月间，市、县区直单位组织机关党员走上街头……每月两次集中行动"},
    {"code": "tourism_duty", "name": "服务旅游当先锋", "kind": "seasonal_duty", "cadence": "month", "quota": 1,
     "season_months": [7, 8, 9],
     "source": "在7月至9月全市旅游旺季……集中开展道路指引、旅游咨询、应急救护、交通疏导等志愿服务活动"},
    {"code": "traffic_duty", "name": "文明交通我先行", "kind": "seasonal_duty", "cadence": "month", "quota": 1,
     "season_months": [3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
     "source": "3月至12月，在全市40个主要交通路口早晚高峰期间，"
               "各市直机关单位组织党员走上街头"},
    {"code": "pairing_visit", "name": "结对帮扶心连心", "kind": "pairing_visit", "cadence": "quarter", "quota": 1,
     "source": "要建立帮扶台账，每个党员至少联系1户……每季度入村开展活动不少于1次"},
]

ANNEX_6: list[dict[str, Any]] = [
    {"code": "household_visits", "name": "结对认亲入户", "kind": "pairing_visit", "cadence": "year", "quota": 4,
     "head_quota": 4, "unit_quotas": {},
     "description": "unit_quotas: 省直单位 2, 市（州）直单位 3, "
                    "县（市、区）直单位 4, by the code of the unit",
     "source": "党组织负责人每年深入结对共建村开展共建、帮扶不少于4次。"
               "省直单位和中央驻青单位干部职工党员每年到结对户家中开展工作不少于2次；"
               "市（州）直单位干部职工党员每年到结对户家中开展工作不少于3次；"
               "县（市、区）直单位干部职工党员每年到结对户家中开展工作不少于4次。"},
    {"code": "three_ones_call", "name": "“三个一”：每月电话联络", "kind": "call", "cadence": "month", "quota": 1,
     "source": "落实同结对“亲戚”每月电话联络一次、每季度上门看望一次、每年办成一件实事的“三个一”制度"},
    {"code": "three_ones_visit", "name": "“三个一”：每季度上门看望", "kind": "pairing_visit",
     "cadence": "quarter", "quota": 1, "source": "每季度上门看望一次"},
    {"code": "three_ones_deed", "name": "“三个一”：每年办成一件实事", "kind": "good_deed",
     "cadence": "year", "quota": 1,
     "source": "每年办成一件实事"},
    {"code": "volunteer_service", "name": "志愿服务", "kind": "volunteer_service", "cadence": "quarter", "quota": 1,
     "source": "每个党支部都要成立党员志愿服务队，原则上每季度深入社区开展志愿服务不少于1次"},
    {"code": "micro_wish", "name": "微心愿", "kind": "micro_wish", "cadence": "year", "quota": 1,
     "source": "每名党员每年至少完成1个群众的微心愿"},
]

CATALOGUES = {"seed-000": SEED_000, "annex-6": ANNEX_6}
