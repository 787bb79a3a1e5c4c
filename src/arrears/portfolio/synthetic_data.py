"""Reference data for the synthetic demo portfolio: real places, phone prefixes, labels.

Region codes are real county-level codes (行政区划代码) so generated resident IDs
pass a full validation, including the birth-place lookup.
"""

from __future__ import annotations

from typing import NamedTuple


class Region(NamedTuple):
    code: str  # first six digits of a resident ID
    place: str  # province, city and district, as written in an address
    area_code: str  # long-distance dialling code of the city, without the trunk 0
    timezone: str


_SHANGHAI = "Asia/Shanghai"
_URUMQI = "Asia/Urumqi"

REGIONS: tuple[Region, ...] = (
    Region("110101", "北京市东城区", "10", _SHANGHAI),
    Region("110105", "北京市朝阳区", "10", _SHANGHAI),
    Region("110108", "北京市海淀区", "10", _SHANGHAI),
    Region("120101", "天津市和平区", "22", _SHANGHAI),
    Region("130102", "河北省石家庄市长安区", "311", _SHANGHAI),
    Region("150102", "内蒙古自治区呼和浩特市新城区", "471", _SHANGHAI),
    Region("210102", "辽宁省沈阳市和平区", "24", _SHANGHAI),
    Region("220102", "吉林省长春市南关区", "431", _SHANGHAI),
    Region("230103", "黑龙江省哈尔滨市南岗区", "451", _SHANGHAI),
    Region("310101", "上海市黄浦区", "21", _SHANGHAI),
    Region("310104", "上海市徐汇区", "21", _SHANGHAI),
    Region("320102", "江苏省南京市玄武区", "25", _SHANGHAI),
    Region("330102", "浙江省杭州市上城区", "571", _SHANGHAI),
    Region("330106", "浙江省杭州市西湖区", "571", _SHANGHAI),
    Region("340104", "安徽省合肥市蜀山区", "551", _SHANGHAI),
    Region("350102", "福建省福州市鼓楼区", "591", _SHANGHAI),
    Region("350203", "福建省厦门市思明区", "592", _SHANGHAI),
    Region("360102", "江西省南昌市东湖区", "791", _SHANGHAI),
    Region("370102", "山东省济南市历下区", "531", _SHANGHAI),
    Region("370202", "山东省青岛市市南区", "532", _SHANGHAI),
    Region("410105", "河南省郑州市金水区", "371", _SHANGHAI),
    Region("420102", "湖北省武汉市江岸区", "27", _SHANGHAI),
    Region("420106", "湖北省武汉市武昌区", "27", _SHANGHAI),
    Region("430102", "湖南省长沙市芙蓉区", "731", _SHANGHAI),
    Region("440103", "广东省广州市荔湾区", "20", _SHANGHAI),
    Region("440104", "广东省广州市越秀区", "20", _SHANGHAI),
    Region("440304", "广东省深圳市福田区", "755", _SHANGHAI),
    Region("440305", "广东省深圳市南山区", "755", _SHANGHAI),
    Region("450103", "广西壮族自治区南宁市青秀区", "771", _SHANGHAI),
    Region("520102", "贵州省贵阳市南明区", "851", _SHANGHAI),
    Region("530102", "云南省昆明市五华区", "871", _SHANGHAI),
    Region("610113", "陕西省西安市雁塔区", "29", _SHANGHAI),
    Region("620102", "甘肃省兰州市城关区", "931", _SHANGHAI),
    Region("630102", "青海省西宁市城东区", "971", _SHANGHAI),
    Region("650102", "新疆维吾尔自治区乌鲁木齐市天山区", "991", _URUMQI),
    Region("650103", "新疆维吾尔自治区乌鲁木齐市沙依巴克区", "991", _URUMQI),
)

# Birth years every code above had been assigned by (checked against the stdnum region table).
FIRST_BIRTH_YEAR = 1983
LAST_BIRTH_YEAR = 2004

# Mainland mobile prefixes in service (号段), all numbering-plan valid.
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "198", "199",
)  # fmt: skip

# Cities whose local numbers have seven digits; the others have eight (both start 2-7 here).
SEVEN_DIGIT_AREAS = frozenset({"471", "592", "771", "931", "971", "991"})

EMAIL_DOMAINS: tuple[str, ...] = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com")

PAYMENT_CHANNELS: tuple[str, ...] = ("auto_debit", "wechat_pay", "alipay", "bank_transfer", "union_pay")

TEAMS: tuple[str, ...] = ("早期催收一组", "早期催收二组", "中期催收组", "总部后期催收组", "质检组", "运营管理组")
