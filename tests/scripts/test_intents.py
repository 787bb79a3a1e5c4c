"""The classifier on sentences written after the corpus, in every language, and the terms of promises."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.errors import InvalidInput
from arrears.scripts.intents import Classification, Intent, PromiseTerms, classify

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("already_paid", "钱我上礼拜三就打过去了，你们没看到吗"),
        ("already_paid", "I cleared the whole thing two weeks ago, check again"),
        ("no_money", "说实话我现在兜里比脸还干净，一分都掏不出"),
        ("no_money", "I seriously have no money at the moment"),
        ("pay_later", "能再宽限一段时间吗，我肯定会还"),
        ("pay_later", "Could you give me a bit more time before I pay"),
        ("fees_too_high", "你们这利息高得离谱，跟放高利贷有什么区别"),
        ("fees_too_high", "The interest on this loan is way too high"),
        ("waive_penalty", "要是能把违约金和罚息都免了，本金我认"),
        ("waive_penalty", "Can you take the late fees off my balance"),
        ("not_my_debt", "我是本人，可这笔贷款我压根没申请过"),
        ("not_my_debt", "I never applied for any loan, this is not my debt"),
        ("verify_identity", "你先告诉我你是哪家公司的，工号多少"),
        ("verify_identity", "How can I be sure you're really from the lender"),
        ("office_address", "你们公司地址在哪，我直接过去找你们"),
        ("office_address", "What's your office address, I'd like to come in"),
        ("stop_contacting_others", "不要再给我爸妈打电话了，他们什么都不知道"),
        ("stop_contacting_others", "Please stop calling my coworkers about this"),
        ("will_complain", "你们再这样打我就去银保监投诉"),
        ("will_complain", "I'm going to file a complaint about you with the CFPB"),
        ("refuse_to_pay", "我就是不还了，你们爱怎么着怎么着"),
        ("refuse_to_pay", "I will never pay you people"),
        ("hardship_illness", "我爸住院做手术，家里的钱全用在医院了"),
        ("hardship_illness", "I was hospitalized last month and can't work"),
        ("hardship_job_loss", "上个月公司裁员我被裁了，到现在没找到工作"),
        ("hardship_job_loss", "I lost my job in september"),
        ("business_receivables", "我开店的，客户欠我货款还没结，结了就还"),
        ("business_receivables", "My customers haven't paid my invoices yet"),
        ("promise_to_pay", "I'll pay 500 next friday"),
        ("wrong_person", "你们打错电话了，我不认识这个人"),
        ("wrong_person", "Sorry, you've got the wrong number"),
        ("agree_to_pay_now", "行，我现在就去APP上还掉"),
        ("agree_to_pay_now", "Okay, I'll pay it right now"),
        ("other", "喂？你那边太吵了听不清"),
        ("other", "Sorry, can you call back later, I'm driving"),
        ("no_money", "冇钱啊真系冇"),
        ("pay_later", "下禮拜再說啦"),
        ("already_paid", "我已經還了啦"),
        ("promise_to_pay", "月底前我先還一千五"),
        ("already_paid", "这笔我十一号在柜台交清了，回执都留着"),
        ("pay_later", "这事能不能缓到春节以后"),
        ("fees_too_high", "年化算下来快五十了，谁借谁倒霉"),
        ("waive_penalty", "Would your manager agree to knock the penalty interest off"),
        ("not_my_debt", "那个合同上的签名根本不是我签的"),
        ("office_address", "我下午请假去你们那边，坐地铁到哪站"),
        ("stop_contacting_others", "你们昨天打给我表姐了？以后别这样"),
        ("will_complain", "我已经截图了，准备发到投诉平台"),
        ("refuse_to_pay", "有本事你们就去法院，反正一分不给"),
        ("hardship_illness", "my wife just had a baby by c-section and there were complications, bills are insane"),
        ("hardship_job_loss", "餐厅关门了，我们服务员全都没了饭碗"),
        ("business_receivables", "我跑物流的，运费都被货主压着没给"),
        ("promise_to_pay", "这样吧，18号我先打两千过去"),
        ("agree_to_pay_now", "你别挂，我这边正在付"),
    ],
)
def test_every_intent_is_recognised_in_sentences_not_in_the_corpus(intent: str, text: str) -> None:
    assert classify(text, today=MONDAY).intent == Intent(intent)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [("我已经还过了", "我已經還過了"), ("别再给我家里人打电话", "別再給我家裡人打電話"), ("利息太高了", "利息太高了")],
)
def test_traditional_input_gets_the_same_answer_as_simplified(simplified: str, traditional: str) -> None:
    assert classify(traditional, today=MONDAY) == classify(simplified, today=MONDAY)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我以经还清了拉", Intent.ALREADY_PAID),
        ("真的没钱阿，一分都没有", Intent.NO_MONEY),
        ("I alredy payed this off", Intent.ALREADY_PAID),
        ("ＯＫ我马上还", Intent.AGREE_TO_PAY_NOW),
    ],
)
def test_typos_and_full_width_letters_are_tolerated(text: str, intent: Intent) -> None:
    assert classify(text, today=MONDAY).intent is intent


@pytest.mark.parametrize("text", ["嗯", "?", "asdf qwer", "下周五还三千", "I lost my job"])
def test_confidence_is_a_probability(text: str) -> None:
    assert 0.0 <= classify(text, today=MONDAY).confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("下周五还三千", PromiseTerms(date(2026, 12, 4), Decimal("3000.00"))),
        ("下禮拜五還3,000元", PromiseTerms(date(2026, 12, 4), Decimal("3000.00"))),
        ("月底前先还1500", PromiseTerms(date(2026, 11, 30), Decimal("1500.00"))),
        ("I can do 2k on the 15th", PromiseTerms(date(2026, 12, 15), Decimal("2000.00"))),
        ("这样吧，18号我先打两千过去", PromiseTerms(date(2026, 12, 18), Decimal("2000.00"))),
    ],
)
def test_a_promise_carries_its_date_and_amount(text: str, terms: PromiseTerms) -> None:
    result = classify(text, today=MONDAY)
    assert result.intent is Intent.PROMISE_TO_PAY
    assert result.promise == terms


def test_a_payment_already_made_is_not_read_as_a_promise() -> None:
    result = classify("我昨天已经还了3000，你们查一下", today=MONDAY)
    assert result.intent is Intent.ALREADY_PAID
    assert result.promise == PromiseTerms()


def test_the_json_shape_is_the_documented_one() -> None:
    shape = classify("下周五还三千", today=MONDAY).as_dict()
    assert set(shape) == {"intent", "confidence", "promise"}
    assert set(shape["promise"]) == {"date", "amount"}  # type: ignore[arg-type]


def test_classifying_twice_gives_the_same_answer() -> None:
    first = classify("能不能把罚息免了", today=MONDAY)
    assert isinstance(first, Classification)
    assert classify("能不能把罚息免了", today=MONDAY) == first


def test_empty_text_is_refused() -> None:
    with pytest.raises(InvalidInput):
        classify("  ", today=MONDAY)
