//! Street addresses: a chain of address parts that reaches a door. A part is
//! a name with a suffix (朝阳区, 建国路, 幸福小区) or a number with one (88号,
//! 3栋, 2单元, 501室). Only chains that locate a home are taken — a street
//! with its house number (XX路XX号), a building with its unit or room (X栋X单元
//! X室), an estate with its building — so a city or district alone (北京市朝阳区),
//! a date (5号) or a floor (5楼) is not an address. The chain then takes in
//! the province/city/district parts right before it.

use super::digits::digit;
use super::Found;
use super::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// 省 市 区 县 镇 乡 村 街道
    Admin,
    /// 路 街 大道 巷 弄 胡同
    Street,
    /// 小区 花园 公寓 大厦 苑 家园 新村
    Estate,
    /// N号 after a street or estate
    HouseNo,
    /// N栋 N幢 N号楼 N座
    Building,
    /// N单元
    Unit,
    /// N室, or the bare room number after 单元 or 栋
    Room,
    /// N层, N楼: with a building alone it is as often an office (一号楼一楼
    /// 物业中心) as a home
    Floor,
}

/// Name suffixes, longest first.
const NAMED: &[(&str, Part)] = &[
    ("街道", Part::Admin),
    ("大道", Part::Street),
    ("大街", Part::Street),
    ("胡同", Part::Street),
    ("小区", Part::Estate),
    ("花园", Part::Estate),
    ("公寓", Part::Estate),
    ("大厦", Part::Estate),
    ("家园", Part::Estate),
    ("新村", Part::Estate),
    ("省", Part::Admin),
    ("市", Part::Admin),
    ("区", Part::Admin),
    ("县", Part::Admin),
    ("镇", Part::Admin),
    ("乡", Part::Admin),
    ("村", Part::Admin),
    ("路", Part::Street),
    ("街", Part::Street),
    ("巷", Part::Street),
    ("弄", Part::Street),
    ("苑", Part::Estate),
    ("园", Part::Estate),
    ("城", Part::Estate),
    ("府", Part::Estate),
    ("湾", Part::Estate),
];

/// Number suffixes, longest first.
const NUMBERED: &[(&str, Part)] = &[
    ("号楼", Part::Building),
    ("单元", Part::Unit),
    ("栋", Part::Building),
    ("幢", Part::Building),
    ("座", Part::Building),
    ("号", Part::HouseNo),
    // 人民南路四段: a street's section, followed by the house number.
    ("段", Part::Street),
    ("室", Part::Room),
    ("层", Part::Floor),
    ("楼", Part::Floor),
];

/// Characters a place name does not contain: the words around it (我家在,
/// 送到, 地址是…).
const NOT_IN_NAME: &str = "在是住到址送寄我们家的了给就那这你您吧啊呢去往从地跟还也都要想把被说叫个请帮改换填写哪里嗯呃对好";
/// Words that end right where a place name starts (改成南山区): their last
/// character is not the name's.
const BEFORE_NAME: &[&str] = &["改成", "换成", "变成", "写成", "填成"];
const MAX_NAME: usize = 6;
const MAX_NUMBER: usize = 5;

fn is_number_char(c: char) -> bool {
    digit(c).is_some() || matches!(c, '十' | '百') || c.is_ascii_uppercase()
}

fn is_name_char(c: char) -> bool {
    (crate::text::is_cjk(c) || c.is_ascii_digit()) && !NOT_IN_NAME.contains(c)
}

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let n = word.chars().count();
    chars
        .get(at..at + n)
        .is_some_and(|got| got.iter().copied().eq(word.chars()))
}

/// A part ending with the suffix at `at`: (start, end, part).
fn part_at(chars: &[char], at: usize, floor: usize) -> Option<(usize, usize, Part)> {
    for &(suffix, part) in NUMBERED {
        if starts_with(chars, at, suffix) {
            let mut start = at;
            while start > floor && at - start < MAX_NUMBER && is_number_char(chars[start - 1]) {
                start -= 1;
            }
            if start < at {
                return Some((start, at + suffix.chars().count(), part));
            }
        }
    }
    for &(suffix, part) in NAMED {
        if starts_with(chars, at, suffix) {
            let mut start = at;
            while start > floor && at - start < MAX_NAME && is_name_char(chars[start - 1]) {
                start -= 1;
            }
            if start > 0
                && start < at
                && BEFORE_NAME.iter().any(|w| starts_with(chars, start - 1, w))
            {
                start += 1;
            }
            // A suffix right after another part extends it (翠苑 + 小区).
            if start < at || (floor > 0 && at == floor) {
                return Some((start, at + suffix.chars().count(), part));
            }
        }
    }
    None
}

/// Whether a chain of parts reaches a door.
fn locates_a_home(parts: &[Part]) -> bool {
    parts.windows(2).any(|w| {
        matches!(
            (w[0], w[1]),
            // 张江路123弄5号楼: a lane's building is as precise as a house number.
            (Part::Street, Part::HouseNo | Part::Building)
                | (Part::Estate, Part::HouseNo | Part::Building | Part::Unit)
                | (Part::Building, Part::Unit | Part::Room)
                | (Part::Unit, Part::Room | Part::Floor)
                | (Part::HouseNo, Part::Building | Part::Unit | Part::Room)
        )
    })
}

/// Addresses in `chars`.
pub fn find_addresses(chars: &[char], found: &mut Vec<Found>) {
    let mut chain: Vec<(usize, usize, Part)> = Vec::new();
    let mut at = 0;
    let close = |chain: &mut Vec<(usize, usize, Part)>, found: &mut Vec<Found>| {
        let kinds: Vec<Part> = chain.iter().map(|p| p.2).collect();
        if locates_a_home(&kinds) {
            let start = chain[0].0;
            let mut end = chain[chain.len() - 1].1;
            // The room number after 单元 or 栋 is often said bare, after a
            // pause at most: 2单元1201, 5栋 302, 三单元，六零二.
            if matches!(kinds.last(), Some(Part::Unit | Part::Building)) {
                let mut at = end;
                if at < chars.len() && crate::text::is_punctuation(chars[at]) && chars[at] != '\n' {
                    at += 1;
                }
                let digits_end = (at..chars.len())
                    .find(|&k| digit(chars[k]).is_none())
                    .unwrap_or(chars.len());
                let room = digits_end - at;
                let unit_after = chars
                    .get(digits_end)
                    .is_some_and(|&c| "号室层楼栋单元块元个".contains(c));
                if (3..=4).contains(&room) && !unit_after {
                    end = digits_end;
                }
            }
            found.push(Found {
                kind: Kind::Address,
                start,
                end,
            });
        }
        chain.clear();
    };
    while at < chars.len() {
        // A part may start where the last one ended, or after one space
        // or comma; otherwise the chain is over.
        let floor = chain.last().map_or(0, |p| p.1);
        match part_at(chars, at, floor) {
            Some((start, end, part)) => {
                // A house number only follows a street or an estate: 5号
                // alone is a date.
                let fits = match part {
                    Part::HouseNo => {
                        matches!(chain.last().map(|p| p.2), Some(Part::Street | Part::Estate))
                    }
                    _ => true,
                };
                // A floor after a pause is where something else is (…88号，一楼是个超市).
                let adjacent = chain.last().is_none_or(|p| {
                    start == p.1
                        || part != Part::Floor
                            && start >= p.1
                            && start - p.1 <= 1
                            && chars[p.1..start]
                                .iter()
                                .all(|&c| crate::text::is_punctuation(c))
                });
                if !fits || !adjacent {
                    close(&mut chain, found);
                }
                if fits {
                    chain.push((start, end, part));
                }
                at = end;
            }
            None => at += 1,
        }
    }
    if !chain.is_empty() {
        close(&mut chain, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut found = Vec::new();
        find_addresses(&chars, &mut found);
        found
            .iter()
            .map(|f| chars[f.start..f.end].iter().collect())
            .collect()
    }

    #[test]
    fn streets_with_numbers_and_buildings_with_rooms() {
        assert_eq!(
            spans("我家在朝阳区建国路88号，麻烦快点"),
            vec!["朝阳区建国路88号"]
        );
        assert_eq!(
            spans("送到幸福小区3栋2单元501室吧"),
            vec!["幸福小区3栋2单元501室"]
        );
        assert_eq!(spans("地址是三栋二单元1201"), vec!["三栋二单元1201"]);
        assert_eq!(
            spans("锦绣家园十二号楼三单元，六零二。"),
            vec!["锦绣家园十二号楼三单元，六零二"]
        );
        assert_eq!(
            spans("住在上海市浦东新区张江路123弄5号楼1201"),
            vec!["上海市浦东新区张江路123弄5号楼1201"]
        );
    }

    #[test]
    fn dates_floors_and_cities_alone_are_not_addresses() {
        assert!(spans("我们15号给您送过去").is_empty());
        assert!(spans("我在北京市朝阳区").is_empty());
        assert!(spans("您到5楼服务台").is_empty());
        assert!(spans("到一号楼一楼的物业中心办理").is_empty());
        assert!(spans("一路顺风，祝您生活愉快").is_empty());
    }
}
