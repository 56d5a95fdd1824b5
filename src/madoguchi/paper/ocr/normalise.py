"""Turning what an engine read into what the field allows.

PP-OCR models are trained mostly on Chinese text and tend to give Chinese forms of
characters (巻→卷, 穀→榖, ー→一); Tesseract confuses digits with letters. Each field type
gets the clean-up that suits it: a table of Chinese forms to Japanese ones for names,
addresses and free text, katakana normalisation (jaconv) and kanji look-alikes for
furigana, look-alike letters for digits, NFKC where it cannot change a name.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

from .base import KATAKANA, FieldSpec

# Simplified Chinese forms (and a few variants) that PP-OCR gives for Japanese characters, and the
# Japanese form. Traditional forms that Japanese names really use (齋, 澤, 邊, 廣, 髙 ...) are NOT
# mapped: a name is what the person wrote, and staff confirm names (review_priority). Extend as the
# benchmark finds more.
CHINESE_TO_JAPANESE = str.maketrans(
    "卷榖吕门东马边泽滨桥泷龙齐斋广冈岛户关长铃荣实县发丰树乐贝见纪绘纱织红绫结爱华乡丽义严为对铁电馆钓钟开间阳凤鸟岭汤渊滩樱黑儿涩泻驿车线册卫团园圆须顺领预颈题风饭丝纲绪续缘鱼鲸鲑鸣齿众伦传亚书买卖币师带归录总战扬护报挂时显晓杂权杨极构枪柜栋样梦检气汇沟沪济浊测浏润涨渔满灾烟爷环现疗盐盖码祯离种积穷笔简类粮纳纸组细终经给统继维缩罗职联肃胜脑艺节苏范荐药获虑补观规视览计订认让训议记讲许论设访证评识诉词译试诗话该详语误说请读课谁调谈谢负财责贤败货质贵贷费资赏赵转轮软轻载较辉达过运还进远连选递适遗邮邻郑酱释针钱铜银销锋锦键镇闭问闲闻阁队阶际陆陈险隐难雾馈驱验骑鲜",
    "巻穀呂門東馬辺沢浜橋滝竜斉斎広岡島戸関長鈴栄実県発豊樹楽貝見紀絵紗織紅綾結愛華郷麗義厳為対鉄電館釣鐘開間陽鳳鳥嶺湯淵灘桜黒児渋潟駅車線冊衛団園円須順領預頸題風飯糸綱緒続縁魚鯨鮭鳴歯衆倫伝亜書買売幣師帯帰録総戦揚護報掛時顕暁雑権楊極構槍櫃棟様夢検気匯溝滬済濁測瀏潤漲漁満災煙爺環現療塩蓋碼禎離種積窮筆簡類糧納紙組細終経給統継維縮羅職聯粛勝脳芸節蘇範薦薬獲慮補観規視覧計訂認譲訓議記講許論設訪証評識訴詞訳試詩話該詳語誤説請読課誰調談謝負財責賢敗貨質貴貸費資賞趙転輪軟軽載較輝達過運還進遠連選逓適遺郵隣鄭醤釈針銭銅銀銷鋒錦鍵鎮閉問閑聞閣隊階際陸陳険隠難霧饋駆験騎鮮",
)

# Kanji and other look-alikes that a katakana field can only mean as katakana.
KATAKANA_LOOKALIKES = str.maketrans(
    {
        "一": "ー",
        "—": "ー",
        "－": "ー",
        "-": "ー",
        "‐": "ー",
        "―": "ー",
        "～": "ー",
        "〜": "ー",
        "工": "エ",
        "力": "カ",
        "口": "ロ",
        "夕": "タ",
        "卜": "ト",
        "二": "ニ",
        "八": "ハ",
        "三": "ミ",
        "才": "オ",
        "千": "チ",
        "干": "チ",
        "乂": "メ",
        "又": "ヌ",
        "巳": "ヒ",
        "已": "ヒ",
        "己": "コ",
        "人": "ス",
        "之": "ヱ",
        "·": "・",
        "･": "・",
        "．": "・",
    }
)

# Letters and marks that a digits-only field can only mean as digits.
DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "〇": "0",
        "○": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "!": "1",
        "]": "1",
        "[": "1",
        "一": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "b": "6",
        "G": "6",
        "T": "7",
        "B": "8",
        "g": "9",
        "q": "9",
        "ー": "-",
        "―": "-",
        "‐": "-",
        "—": "-",
        "－": "-",
        "~": "-",
        "_": "-",
    }
)

_SPACES = re.compile(r"[\s\u3000]+")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def to_katakana(text: str) -> str:
    text = jaconv.h2z(text or "", kana=True, ascii=False, digit=False)
    return jaconv.hira2kata(text)


def japanese_forms(text: str) -> str:
    """Chinese forms PP-OCR likes to give, as the Japanese forms used in names and addresses."""
    return (text or "").translate(CHINESE_TO_JAPANESE)


def normalise(text: str, spec: FieldSpec) -> str:
    """The reading as the field allows it: mapped, filtered to the allowed characters, cut to length."""
    text = text or ""
    if spec.is_digits:
        text = nfkc(text).translate(DIGIT_LOOKALIKES)
        text = _SPACES.sub("", text)
    elif spec.is_katakana:
        # NFKC first would turn 一 (a look-alike of ー) into itself; half-width kana are widened by jaconv.
        text = to_katakana(text).translate(KATAKANA_LOOKALIKES)
        text = _SPACES.sub(" ", text).strip()
    elif spec.type == "date":
        text = _SPACES.sub("", nfkc(text)).translate(str.maketrans({"ー": "-", "一": "-"}))
    elif spec.type == "email":
        text = _SPACES.sub("", nfkc(text)).lower()
    else:
        # Names, addresses, free text: Japanese forms, full-width letters and digits made ASCII,
        # half-width kana widened (NFKC), runs of spaces made one.
        text = nfkc(japanese_forms(text))
        text = _SPACES.sub(" ", text).strip()
        # Spaces between Japanese characters are the engine's, not the writer's.
        text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)
        # ー belongs after kana; after a kanji or a digit it is the kanji 一 (一丁目, 第一).
        text = re.sub(r"(?<![\u3041-\u30ffー])ー", "一", text)
        if spec.type == "address":
            # 1ー2ー3 / 1一2一3 between digits is a hyphen.
            text = re.sub(r"(?<=\d)[ー一－‐―](?=\d)", "-", text)
    if spec.allowed_chars is not None:
        text = "".join(c for c in text if c in spec.allowed_chars)
        if spec.is_katakana:
            text = _SPACES.sub(" ", text).strip()
    if spec.max_length:
        text = text[: spec.max_length]
    return text


def is_katakana(text: str) -> bool:
    return all(c in KATAKANA or c == " " for c in text)
