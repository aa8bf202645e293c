//! Customers' names where a cue says one is coming: 我叫张伟, (免贵)姓王,
//! 王先生 / 李女士 / 赵小姐. Only common surnames are taken, so 我叫了 or 一位先生
//! stay; a name without a cue is not looked for (precision over recall).

use super::Found;
use super::Kind;

/// The common surnames (about 95 % of the population).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
/// Characters that end a given name: words that follow a name in speech.
/// 小 is not here: it begins many given names (王小明); 小姐 after a
/// surname is a title, checked where a given name is read.
const NOT_IN_GIVEN: &str = "的是了啊呢吧吗呀哦嗯我你您他她它这那就在有和跟也都还要想说叫姓先女手电号码身份证地址住给打请问对好不没一个";
const NAME_CUES: &[&str] = &[
    "我叫",
    "我的名字叫",
    "我的名字是",
    "名字叫",
    "本人叫",
    "我名字叫",
];
const SURNAME_CUES: &[&str] = &["免贵姓", "我姓", "贵姓"];
const TITLES: &[&str] = &["先生", "女士", "小姐"];

fn is_given_char(c: char) -> bool {
    crate::text::is_cjk(c) && !NOT_IN_GIVEN.contains(c)
}

fn ends_with(chars: &[char], end: usize, word: &str) -> bool {
    let n = word.chars().count();
    end >= n && chars[end - n..end].iter().copied().eq(word.chars())
}

/// Names in `chars`.
pub fn find_names(chars: &[char], found: &mut Vec<Found>) {
    for at in 0..chars.len() {
        if !SURNAMES.contains(chars[at]) {
            continue;
        }
        let after_name_cue = NAME_CUES.iter().any(|cue| ends_with(chars, at, cue));
        let after_surname_cue = SURNAME_CUES.iter().any(|cue| ends_with(chars, at, cue))
            // 姓王 as an answer: 姓 starts the clause.
            || (ends_with(chars, at, "姓") && (at == 1 || at >= 2 && crate::text::is_punctuation(chars[at - 2])));
        let titled = TITLES.iter().any(|t| chars[at + 1..].iter().take(2).copied().eq(t.chars()))
            // 王先生, not 一位先生 or 老王先生's 老: the surname starts a word.
            && (at == 0 || crate::text::is_punctuation(chars[at - 1]) || "好是哦啊呀喂嗯您请问的".contains(chars[at - 1]));
        if after_name_cue {
            let mut end = at + 1;
            while end < chars.len()
                && end - at < 3
                && is_given_char(chars[end])
                && !chars[end..].starts_with(&['小', '姐'])
            {
                end += 1;
            }
            found.push(Found {
                kind: Kind::Name,
                start: at,
                end,
            });
        } else if after_surname_cue || titled {
            found.push(Found {
                kind: Kind::Name,
                start: at,
                end: at + 1,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut found = Vec::new();
        find_names(&chars, &mut found);
        found
            .iter()
            .map(|f| chars[f.start..f.end].iter().collect())
            .collect()
    }

    #[test]
    fn names_after_cues() {
        assert_eq!(spans("你好，我叫张伟，手机坏了"), vec!["张伟"]);
        assert_eq!(spans("我叫王小明。"), vec!["王小明"]);
        assert_eq!(spans("我叫李小姐就行"), vec!["李"]);
        assert_eq!(spans("免贵姓王"), vec!["王"]);
        assert_eq!(spans("好的李女士，我帮您查"), vec!["李"]);
    }

    #[test]
    fn no_cue_no_name() {
        assert!(spans("我叫了快递").is_empty());
        assert!(spans("有一位先生来过").is_empty());
        assert!(spans("王府井那家店").is_empty());
    }
}
