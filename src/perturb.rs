//! ASR-style corruption of transcript text: the Mandarin spelling errors that
//! Whisper makes on telephone audio, reproduced on clean text so that the
//! rubric's robustness to them can be measured (`tests/asr_robustness.rs`)
//! and, later, so that `callqa mutate` can write corrupted copies of fixtures.
//!
//! This module owns the *noise model*, nothing else: scoring never calls it.
//! The Whisper errors the fixtures document (`fixtures/README.md`: 制电 for
//! 致电, 陪付 for 赔付) are mostly the right syllable written with the wrong
//! character, plus characters lost. So two operations, on Han characters
//! only:
//!
//! - **substitution** by a *common* character with the same toneless pinyin
//!   (never the character itself), and
//! - **drop** of the character (a configurable share of the corruptions,
//!   [`DEFAULT_DROP_SHARE`] by default).
//!
//! The rate is the share of each utterance's Han characters that end up
//! changed (0.10 = one in ten, like a 10 % character error rate; rounded
//! stochastically, so short utterances are hit at that rate on average).
//! Punctuation, digits, Latin, spaces and redaction placeholders (`[姓名]`,
//! `{手机号}`, `<订单号>`, `【地址】`) are never touched.
//!
//! Everything is deterministic: each utterance gets its own SplitMix64 stream
//! seeded from `(seed, call_id, utterance index)`, so one utterance's noise
//! does not depend on the others, on the order calls are processed, or on the
//! platform. At a fixed seed the corruption is *nested* across rates: the
//! edits made at 10 % are exactly the first edits made at 20 %, so a
//! robustness curve measures more noise, not different noise.

use std::collections::HashMap;
use std::sync::OnceLock;

use pinyin::ToPinyin;

use crate::transcript::Transcript;

/// Default share of corruptions that drop the character (the rest substitute).
pub const DEFAULT_DROP_SHARE: f64 = 0.1;

/// A noise setting: how much, which mix, which seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsrNoise {
    /// Share of each utterance's Han characters that are corrupted, in 0..=1.
    pub rate: f64,
    /// Share of the corruptions that drop the character, in 0..=1.
    pub drop_share: f64,
    pub seed: u64,
}

impl AsrNoise {
    /// `rate` of the Han characters corrupted, [`DEFAULT_DROP_SHARE`] of them dropped.
    pub fn new(rate: f64, seed: u64) -> AsrNoise {
        AsrNoise {
            rate,
            drop_share: DEFAULT_DROP_SHARE,
            seed,
        }
    }

    pub fn with_drop_share(self, drop_share: f64) -> AsrNoise {
        AsrNoise { drop_share, ..self }
    }

    /// Checks both shares are numbers in 0..=1 (for command-line input).
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("rate", self.rate), ("drop share", self.drop_share)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} {v} is outside 0..1"));
            }
        }
        Ok(())
    }
}

/// What a corruption did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoiseStats {
    /// Han characters that could be corrupted (outside placeholders).
    pub han: usize,
    pub substituted: usize,
    pub dropped: usize,
    /// Drawn for substitution but no other common character shares its
    /// pinyin (您, 给, or no reading at all): passed over for the next one.
    pub kept: usize,
}

impl NoiseStats {
    /// Characters actually changed.
    pub fn changed(&self) -> usize {
        self.substituted + self.dropped
    }
}

impl std::ops::AddAssign for NoiseStats {
    fn add_assign(&mut self, o: NoiseStats) {
        self.han += o.han;
        self.substituted += o.substituted;
        self.dropped += o.dropped;
        self.kept += o.kept;
    }
}

/// Corrupts one utterance's text. `call_id` and `index` (the utterance's
/// position in its call) select the random stream, so this gives exactly the
/// text [`corrupt_transcript`] writes for that utterance.
pub fn corrupt_text(text: &str, noise: &AsrNoise, call_id: &str, index: usize) -> String {
    corrupt_text_with_stats(text, noise, call_id, index).0
}

/// [`corrupt_text`], also returning what was done.
pub fn corrupt_text_with_stats(
    text: &str,
    noise: &AsrNoise,
    call_id: &str,
    index: usize,
) -> (String, NoiseStats) {
    let chars: Vec<char> = text.chars().collect();
    let protected = placeholder_mask(&chars);
    let mut eligible: Vec<usize> = (0..chars.len())
        .filter(|&i| !protected[i] && is_han(chars[i]))
        .collect();
    let mut stats = NoiseStats {
        han: eligible.len(),
        ..NoiseStats::default()
    };
    let rate = if noise.rate.is_nan() {
        0.0
    } else {
        noise.rate.clamp(0.0, 1.0)
    };
    if eligible.is_empty() || rate == 0.0 {
        return (text.to_string(), stats);
    }

    // Draw order is fixed and independent of the rate (shuffle, rounding
    // coin, then two draws per picked position), which makes the corruption
    // nested across rates at one seed.
    let mut rng = SplitMix64::new(stream_seed(noise.seed, call_id, index));
    for i in (1..eligible.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        eligible.swap(i, j);
    }
    // Stochastic rounding: a 5-character utterance at 10 % is corrupted once
    // half of the time, rather than never.
    let coin = rng.unit();
    let expected = rate * eligible.len() as f64;
    let mut k = expected.floor() as usize;
    if coin < expected - expected.floor() {
        k += 1;
    }
    let k = k.min(eligible.len());

    let drop_share = if noise.drop_share.is_nan() {
        0.0
    } else {
        noise.drop_share
    };
    let mut edit: Vec<Option<Option<char>>> = vec![None; chars.len()];
    // Walk the shuffled positions until `k` characters are changed; one with
    // no common homophone (您, 给) is passed over, so the rate is the share
    // of characters actually changed, like a character error rate.
    let mut done = 0;
    for &pos in &eligible {
        if done == k {
            break;
        }
        let op = rng.unit();
        let pick = rng.next_u64();
        if op < drop_share {
            edit[pos] = Some(None);
            stats.dropped += 1;
            done += 1;
        } else if let Some(c) = homophone(chars[pos], pick) {
            edit[pos] = Some(Some(c));
            stats.substituted += 1;
            done += 1;
        } else {
            stats.kept += 1;
        }
    }
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match edit[i] {
            None => out.push(c),
            Some(Some(sub)) => out.push(sub),
            Some(None) => {}
        }
    }
    (out, stats)
}

/// A corrupted copy of a whole call: every utterance's text goes through
/// [`corrupt_text`]; speakers, times, ids and unknown fields are kept.
pub fn corrupt_transcript(transcript: &Transcript, noise: &AsrNoise) -> Transcript {
    corrupt_transcript_with_stats(transcript, noise).0
}

/// [`corrupt_transcript`], also returning the totals over the call.
pub fn corrupt_transcript_with_stats(
    transcript: &Transcript,
    noise: &AsrNoise,
) -> (Transcript, NoiseStats) {
    let mut out = transcript.clone();
    let mut total = NoiseStats::default();
    for (index, utterance) in out.utterances.iter_mut().enumerate() {
        let (text, stats) =
            corrupt_text_with_stats(&utterance.text, noise, &transcript.call_id, index);
        utterance.text = text;
        total += stats;
    }
    (out, total)
}

/// The other common characters with the same toneless pinyin as `c`
/// (reading as [`pinyin::ToPinyin`] gives it, the one `text::pinyin_code`
/// matches on). Empty when there is none.
pub fn homophones(c: char) -> Vec<char> {
    let Some(p) = c.to_pinyin() else {
        return Vec::new();
    };
    homophone_table()
        .get(p.plain())
        .map(|list| list.iter().copied().filter(|&h| h != c).collect())
        .unwrap_or_default()
}

/// One homophone of `c` chosen by `pick`, never `c` itself.
fn homophone(c: char, pick: u64) -> Option<char> {
    let list = homophone_table().get(c.to_pinyin()?.plain())?;
    let own = list.iter().position(|&h| h == c);
    let n = list.len() - usize::from(own.is_some());
    if n == 0 {
        return None;
    }
    let mut i = ((pick as u128 * n as u128) >> 64) as usize;
    if own.is_some_and(|o| i >= o) {
        i += 1;
    }
    Some(list[i])
}

fn is_han(c: char) -> bool {
    crate::text::is_cjk(c)
}

/// Marks the characters of redaction placeholders: a short bracketed span
/// (`[姓名]`, `{手机号}`, `<订单号>`, `【地址】` and full-width forms) with
/// no other bracket inside. Such a tag is not speech and ASR never writes it.
fn placeholder_mask(chars: &[char]) -> Vec<bool> {
    const PAIRS: [(char, char); 7] = [
        ('[', ']'),
        ('{', '}'),
        ('<', '>'),
        ('【', '】'),
        ('［', '］'),
        ('｛', '｝'),
        ('＜', '＞'),
    ];
    const MAX_INSIDE: usize = 16;
    let mut mask = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if let Some(&(_, close)) = PAIRS.iter().find(|(open, _)| *open == chars[i]) {
            let end = chars[i + 1..]
                .iter()
                .take(MAX_INSIDE + 1)
                .position(|&c| c == close || PAIRS.iter().any(|(o, _)| *o == c));
            if let Some(off) = end {
                let j = i + 1 + off;
                if chars[j] == close {
                    mask[i..=j].iter_mut().for_each(|m| *m = true);
                    i = j + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    mask
}

/// Toneless syllable → the common characters read that way, in GB2312 order.
fn homophone_table() -> &'static HashMap<&'static str, Vec<char>> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<&'static str, Vec<char>> = HashMap::new();
        for c in GB2312_LEVEL1.iter().flat_map(|row| row.chars()) {
            if let Some(p) = c.to_pinyin() {
                table.entry(p.plain()).or_default().push(c);
            }
        }
        table
    })
}

// Which characters count as "common" (the only ones substituted *in*):
// GB2312 level 1 (一级汉字), its 3,755 characters in rows 16–55 (bytes
// 0xB0A1–0xD7F9), written out below in code order, which is pinyin order.
// Why this list: it is the standard's own definition of frequently used
// characters, it is fixed (no threshold to tune), and a mishearing lands on a
// character the decoder's language model finds likely, i.e. a common one,
// not on 檩 or 鳜 because they happen to share a syllable. Level 1 is in
// pinyin order, not frequency order, so it is used whole rather than cut at
// some "first 3,500". The alternative, jieba-rs's
// dictionary, is not reachable through its API (only `suggest_freq` per
// character) and its single-character frequencies are noisy: rare
// characters such as 轛, 骮 or 熼 rank inside its top 3,000.
// No crate in Cargo.toml decodes GB2312, hence the table; the unit tests check
// its size, order and that every character has a pinyin reading.
const GB2312_LEVEL1: [&str; 40] = [
    "啊阿埃挨哎唉哀皑癌蔼矮艾碍爱隘鞍氨安俺按暗岸胺案肮昂盎凹敖熬翱袄傲奥懊澳芭捌扒叭吧笆八疤巴拔跋靶把耙坝霸罢爸白柏百摆佰败拜稗斑班搬扳般颁板版扮拌伴瓣半办绊邦帮梆榜膀绑棒磅蚌镑傍谤苞胞包褒剥",
    "薄雹保堡饱宝抱报暴豹鲍爆杯碑悲卑北辈背贝钡倍狈备惫焙被奔苯本笨崩绷甭泵蹦迸逼鼻比鄙笔彼碧蓖蔽毕毙毖币庇痹闭敝弊必辟壁臂避陛鞭边编贬扁便变卞辨辩辫遍标彪膘表鳖憋别瘪彬斌濒滨宾摈兵冰柄丙秉饼炳",
    "病并玻菠播拨钵波博勃搏铂箔伯帛舶脖膊渤泊驳捕卜哺补埠不布步簿部怖擦猜裁材才财睬踩采彩菜蔡餐参蚕残惭惨灿苍舱仓沧藏操糙槽曹草厕策侧册测层蹭插叉茬茶查碴搽察岔差诧拆柴豺搀掺蝉馋谗缠铲产阐颤昌猖",
    "场尝常长偿肠厂敞畅唱倡超抄钞朝嘲潮巢吵炒车扯撤掣彻澈郴臣辰尘晨忱沉陈趁衬撑称城橙成呈乘程惩澄诚承逞骋秤吃痴持匙池迟弛驰耻齿侈尺赤翅斥炽充冲虫崇宠抽酬畴踌稠愁筹仇绸瞅丑臭初出橱厨躇锄雏滁除楚",
    "础储矗搐触处揣川穿椽传船喘串疮窗幢床闯创吹炊捶锤垂春椿醇唇淳纯蠢戳绰疵茨磁雌辞慈瓷词此刺赐次聪葱囱匆从丛凑粗醋簇促蹿篡窜摧崔催脆瘁粹淬翠村存寸磋撮搓措挫错搭达答瘩打大呆歹傣戴带殆代贷袋待逮",
    "怠耽担丹单郸掸胆旦氮但惮淡诞弹蛋当挡党荡档刀捣蹈倒岛祷导到稻悼道盗德得的蹬灯登等瞪凳邓堤低滴迪敌笛狄涤翟嫡抵底地蒂第帝弟递缔颠掂滇碘点典靛垫电佃甸店惦奠淀殿碉叼雕凋刁掉吊钓调跌爹碟蝶迭谍叠",
    "丁盯叮钉顶鼎锭定订丢东冬董懂动栋侗恫冻洞兜抖斗陡豆逗痘都督毒犊独读堵睹赌杜镀肚度渡妒端短锻段断缎堆兑队对墩吨蹲敦顿囤钝盾遁掇哆多夺垛躲朵跺舵剁惰堕蛾峨鹅俄额讹娥恶厄扼遏鄂饿恩而儿耳尔饵洱二",
    "贰发罚筏伐乏阀法珐藩帆番翻樊矾钒繁凡烦反返范贩犯饭泛坊芳方肪房防妨仿访纺放菲非啡飞肥匪诽吠肺废沸费芬酚吩氛分纷坟焚汾粉奋份忿愤粪丰封枫蜂峰锋风疯烽逢冯缝讽奉凤佛否夫敷肤孵扶拂辐幅氟符伏俘服",
    "浮涪福袱弗甫抚辅俯釜斧脯腑府腐赴副覆赋复傅付阜父腹负富讣附妇缚咐噶嘎该改概钙盖溉干甘杆柑竿肝赶感秆敢赣冈刚钢缸肛纲岗港杠篙皋高膏羔糕搞镐稿告哥歌搁戈鸽胳疙割革葛格蛤阁隔铬个各给根跟耕更庚羹",
    "埂耿梗工攻功恭龚供躬公宫弓巩汞拱贡共钩勾沟苟狗垢构购够辜菇咕箍估沽孤姑鼓古蛊骨谷股故顾固雇刮瓜剐寡挂褂乖拐怪棺关官冠观管馆罐惯灌贯光广逛瑰规圭硅归龟闺轨鬼诡癸桂柜跪贵刽辊滚棍锅郭国果裹过哈",
    "骸孩海氦亥害骇酣憨邯韩含涵寒函喊罕翰撼捍旱憾悍焊汗汉夯杭航壕嚎豪毫郝好耗号浩呵喝荷菏核禾和何合盒貉阂河涸赫褐鹤贺嘿黑痕很狠恨哼亨横衡恒轰哄烘虹鸿洪宏弘红喉侯猴吼厚候后呼乎忽瑚壶葫胡蝴狐糊湖",
    "弧虎唬护互沪户花哗华猾滑画划化话槐徊怀淮坏欢环桓还缓换患唤痪豢焕涣宦幻荒慌黄磺蝗簧皇凰惶煌晃幌恍谎灰挥辉徽恢蛔回毁悔慧卉惠晦贿秽会烩汇讳诲绘荤昏婚魂浑混豁活伙火获或惑霍货祸击圾基机畸稽积箕",
    "肌饥迹激讥鸡姬绩缉吉极棘辑籍集及急疾汲即嫉级挤几脊己蓟技冀季伎祭剂悸济寄寂计记既忌际妓继纪嘉枷夹佳家加荚颊贾甲钾假稼价架驾嫁歼监坚尖笺间煎兼肩艰奸缄茧检柬碱硷拣捡简俭剪减荐槛鉴践贱见键箭件",
    "健舰剑饯渐溅涧建僵姜将浆江疆蒋桨奖讲匠酱降蕉椒礁焦胶交郊浇骄娇嚼搅铰矫侥脚狡角饺缴绞剿教酵轿较叫窖揭接皆秸街阶截劫节桔杰捷睫竭洁结解姐戒藉芥界借介疥诫届巾筋斤金今津襟紧锦仅谨进靳晋禁近烬浸",
    "尽劲荆兢茎睛晶鲸京惊精粳经井警景颈静境敬镜径痉靖竟竞净炯窘揪究纠玖韭久灸九酒厩救旧臼舅咎就疚鞠拘狙疽居驹菊局咀矩举沮聚拒据巨具距踞锯俱句惧炬剧捐鹃娟倦眷卷绢撅攫抉掘倔爵觉决诀绝均菌钧军君峻",
    "俊竣浚郡骏喀咖卡咯开揩楷凯慨刊堪勘坎砍看康慷糠扛抗亢炕考拷烤靠坷苛柯棵磕颗科壳咳可渴克刻客课肯啃垦恳坑吭空恐孔控抠口扣寇枯哭窟苦酷库裤夸垮挎跨胯块筷侩快宽款匡筐狂框矿眶旷况亏盔岿窥葵奎魁傀",
    "馈愧溃坤昆捆困括扩廓阔垃拉喇蜡腊辣啦莱来赖蓝婪栏拦篮阑兰澜谰揽览懒缆烂滥琅榔狼廊郎朗浪捞劳牢老佬姥酪烙涝勒乐雷镭蕾磊累儡垒擂肋类泪棱楞冷厘梨犁黎篱狸离漓理李里鲤礼莉荔吏栗丽厉励砾历利傈例俐",
    "痢立粒沥隶力璃哩俩联莲连镰廉怜涟帘敛脸链恋炼练粮凉梁粱良两辆量晾亮谅撩聊僚疗燎寥辽潦了撂镣廖料列裂烈劣猎琳林磷霖临邻鳞淋凛赁吝拎玲菱零龄铃伶羚凌灵陵岭领另令溜琉榴硫馏留刘瘤流柳六龙聋咙笼窿",
    "隆垄拢陇楼娄搂篓漏陋芦卢颅庐炉掳卤虏鲁麓碌露路赂鹿潞禄录陆戮驴吕铝侣旅履屡缕虑氯律率滤绿峦挛孪滦卵乱掠略抡轮伦仑沦纶论萝螺罗逻锣箩骡裸落洛骆络妈麻玛码蚂马骂嘛吗埋买麦卖迈脉瞒馒蛮满蔓曼慢漫",
    "谩芒茫盲氓忙莽猫茅锚毛矛铆卯茂冒帽貌贸么玫枚梅酶霉煤没眉媒镁每美昧寐妹媚门闷们萌蒙檬盟锰猛梦孟眯醚靡糜迷谜弥米秘觅泌蜜密幂棉眠绵冕免勉娩缅面苗描瞄藐秒渺庙妙蔑灭民抿皿敏悯闽明螟鸣铭名命谬摸",
    "摹蘑模膜磨摩魔抹末莫墨默沫漠寞陌谋牟某拇牡亩姆母墓暮幕募慕木目睦牧穆拿哪呐钠那娜纳氖乃奶耐奈南男难囊挠脑恼闹淖呢馁内嫩能妮霓倪泥尼拟你匿腻逆溺蔫拈年碾撵捻念娘酿鸟尿捏聂孽啮镊镍涅您柠狞凝宁",
    "拧泞牛扭钮纽脓浓农弄奴努怒女暖虐疟挪懦糯诺哦欧鸥殴藕呕偶沤啪趴爬帕怕琶拍排牌徘湃派攀潘盘磐盼畔判叛乓庞旁耪胖抛咆刨炮袍跑泡呸胚培裴赔陪配佩沛喷盆砰抨烹澎彭蓬棚硼篷膨朋鹏捧碰坯砒霹批披劈琵毗",
    "啤脾疲皮匹痞僻屁譬篇偏片骗飘漂瓢票撇瞥拼频贫品聘乒坪苹萍平凭瓶评屏坡泼颇婆破魄迫粕剖扑铺仆莆葡菩蒲埔朴圃普浦谱曝瀑期欺栖戚妻七凄漆柒沏其棋奇歧畦崎脐齐旗祈祁骑起岂乞企启契砌器气迄弃汽泣讫掐",
    "恰洽牵扦钎铅千迁签仟谦乾黔钱钳前潜遣浅谴堑嵌欠歉枪呛腔羌墙蔷强抢橇锹敲悄桥瞧乔侨巧鞘撬翘峭俏窍切茄且怯窃钦侵亲秦琴勤芹擒禽寝沁青轻氢倾卿清擎晴氰情顷请庆琼穷秋丘邱球求囚酋泅趋区蛆曲躯屈驱渠",
    "取娶龋趣去圈颧权醛泉全痊拳犬券劝缺炔瘸却鹊榷确雀裙群然燃冉染瓤壤攘嚷让饶扰绕惹热壬仁人忍韧任认刃妊纫扔仍日戎茸蓉荣融熔溶容绒冗揉柔肉茹蠕儒孺如辱乳汝入褥软阮蕊瑞锐闰润若弱撒洒萨腮鳃塞赛三叁",
    "伞散桑嗓丧搔骚扫嫂瑟色涩森僧莎砂杀刹沙纱傻啥煞筛晒珊苫杉山删煽衫闪陕擅赡膳善汕扇缮墒伤商赏晌上尚裳梢捎稍烧芍勺韶少哨邵绍奢赊蛇舌舍赦摄射慑涉社设砷申呻伸身深娠绅神沈审婶甚肾慎渗声生甥牲升绳",
    "省盛剩胜圣师失狮施湿诗尸虱十石拾时什食蚀实识史矢使屎驶始式示士世柿事拭誓逝势是嗜噬适仕侍释饰氏市恃室视试收手首守寿授售受瘦兽蔬枢梳殊抒输叔舒淑疏书赎孰熟薯暑曙署蜀黍鼠属术述树束戍竖墅庶数漱",
    "恕刷耍摔衰甩帅栓拴霜双爽谁水睡税吮瞬顺舜说硕朔烁斯撕嘶思私司丝死肆寺嗣四伺似饲巳松耸怂颂送宋讼诵搜艘擞嗽苏酥俗素速粟僳塑溯宿诉肃酸蒜算虽隋随绥髓碎岁穗遂隧祟孙损笋蓑梭唆缩琐索锁所塌他它她塔",
    "獭挞蹋踏胎苔抬台泰酞太态汰坍摊贪瘫滩坛檀痰潭谭谈坦毯袒碳探叹炭汤塘搪堂棠膛唐糖倘躺淌趟烫掏涛滔绦萄桃逃淘陶讨套特藤腾疼誊梯剔踢锑提题蹄啼体替嚏惕涕剃屉天添填田甜恬舔腆挑条迢眺跳贴铁帖厅听烃",
    "汀廷停亭庭挺艇通桐酮瞳同铜彤童桶捅筒统痛偷投头透凸秃突图徒途涂屠土吐兔湍团推颓腿蜕褪退吞屯臀拖托脱鸵陀驮驼椭妥拓唾挖哇蛙洼娃瓦袜歪外豌弯湾玩顽丸烷完碗挽晚皖惋宛婉万腕汪王亡枉网往旺望忘妄威",
    "巍微危韦违桅围唯惟为潍维苇萎委伟伪尾纬未蔚味畏胃喂魏位渭谓尉慰卫瘟温蚊文闻纹吻稳紊问嗡翁瓮挝蜗涡窝我斡卧握沃巫呜钨乌污诬屋无芜梧吾吴毋武五捂午舞伍侮坞戊雾晤物勿务悟误昔熙析西硒矽晰嘻吸锡牺",
    "稀息希悉膝夕惜熄烯溪汐犀檄袭席习媳喜铣洗系隙戏细瞎虾匣霞辖暇峡侠狭下厦夏吓掀锨先仙鲜纤咸贤衔舷闲涎弦嫌显险现献县腺馅羡宪陷限线相厢镶香箱襄湘乡翔祥详想响享项巷橡像向象萧硝霄削哮嚣销消宵淆晓",
    "小孝校肖啸笑效楔些歇蝎鞋协挟携邪斜胁谐写械卸蟹懈泄泻谢屑薪芯锌欣辛新忻心信衅星腥猩惺兴刑型形邢行醒幸杏性姓兄凶胸匈汹雄熊休修羞朽嗅锈秀袖绣墟戌需虚嘘须徐许蓄酗叙旭序畜恤絮婿绪续轩喧宣悬旋玄",
    "选癣眩绚靴薛学穴雪血勋熏循旬询寻驯巡殉汛训讯逊迅压押鸦鸭呀丫芽牙蚜崖衙涯雅哑亚讶焉咽阉烟淹盐严研蜒岩延言颜阎炎沿奄掩眼衍演艳堰燕厌砚雁唁彦焰宴谚验殃央鸯秧杨扬佯疡羊洋阳氧仰痒养样漾邀腰妖瑶",
    "摇尧遥窑谣姚咬舀药要耀椰噎耶爷野冶也页掖业叶曳腋夜液一壹医揖铱依伊衣颐夷遗移仪胰疑沂宜姨彝椅蚁倚已乙矣以艺抑易邑屹亿役臆逸肄疫亦裔意毅忆义益溢诣议谊译异翼翌绎茵荫因殷音阴姻吟银淫寅饮尹引隐",
    "印英樱婴鹰应缨莹萤营荧蝇迎赢盈影颖硬映哟拥佣臃痈庸雍踊蛹咏泳涌永恿勇用幽优悠忧尤由邮铀犹油游酉有友右佑釉诱又幼迂淤于盂榆虞愚舆余俞逾鱼愉渝渔隅予娱雨与屿禹宇语羽玉域芋郁吁遇喻峪御愈欲狱育誉",
    "浴寓裕预豫驭鸳渊冤元垣袁原援辕园员圆猿源缘远苑愿怨院曰约越跃钥岳粤月悦阅耘云郧匀陨允运蕴酝晕韵孕匝砸杂栽哉灾宰载再在咱攒暂赞赃脏葬遭糟凿藻枣早澡蚤躁噪造皂灶燥责择则泽贼怎增憎曾赠扎喳渣札轧",
    "铡闸眨栅榨咋乍炸诈摘斋宅窄债寨瞻毡詹粘沾盏斩辗崭展蘸栈占战站湛绽樟章彰漳张掌涨杖丈帐账仗胀瘴障招昭找沼赵照罩兆肇召遮折哲蛰辙者锗蔗这浙珍斟真甄砧臻贞针侦枕疹诊震振镇阵蒸挣睁征狰争怔整拯正政",
    "帧症郑证芝枝支吱蜘知肢脂汁之织职直植殖执值侄址指止趾只旨纸志挚掷至致置帜峙制智秩稚质炙痔滞治窒中盅忠钟衷终种肿重仲众舟周州洲诌粥轴肘帚咒皱宙昼骤珠株蛛朱猪诸诛逐竹烛煮拄瞩嘱主著柱助蛀贮铸筑",
    "住注祝驻抓爪拽专砖转撰赚篆桩庄装妆撞壮状椎锥追赘坠缀谆准捉拙卓桌琢茁酌啄着灼浊兹咨资姿滋淄孜紫仔籽滓子自渍字鬃棕踪宗综总纵邹走奏揍租足卒族祖诅阻组钻纂嘴醉最罪尊遵昨左佐柞做作坐座",
];

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to pick
/// positions; its output is specified, so streams are stable across
/// platforms and Rust versions (unlike `std`'s hashers). Public so that
/// `crate::mutate`'s other perturbations draw from the same kind of
/// per-call stream ([`SplitMix64::stream`]) instead of a second generator.
pub struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The stream of `(seed, key, index)`: the one [`corrupt_text`] uses for
    /// utterance `index` of call `key`. Callers with other purposes put the
    /// purpose in `key` so their draws never coincide with the noise's.
    pub fn stream(seed: u64, key: &str, index: usize) -> SplitMix64 {
        SplitMix64::new(stream_seed(seed, key, index))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (multiply-shift; the bias is < n / 2^64).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream of one utterance: seed, FNV-1a of the call id, index, mixed.
fn stream_seed(seed: u64, call_id: &str, index: usize) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in call_id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix64(mix64(seed ^ mix64(h)).wrapping_add(index as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SAMPLE: &str = "您好，欢迎致电飞鸿快递，我是客服代表小李，工号1024，很高兴为您服务。\
        非常抱歉给您添麻烦了，这边按照运费的3倍给您赔付，另外再送您一张20元的寄件券，\
        请把[姓名]和{手机号}发给我，Email也可以，我们明天下午6点前给您回电。";

    fn han_count(s: &str) -> usize {
        s.chars().filter(|&c| is_han(c)).count()
    }

    #[test]
    fn level1_table_is_the_3755_characters_in_pinyin_order() {
        let all: Vec<char> = GB2312_LEVEL1.iter().flat_map(|r| r.chars()).collect();
        assert_eq!(all.len(), 3755);
        let distinct: std::collections::HashSet<char> = all.iter().copied().collect();
        assert_eq!(distinct.len(), 3755);
        assert_eq!((all[0], all[3754]), ('啊', '座'));
        assert!(all.iter().all(|&c| is_han(c) && c.to_pinyin().is_some()));
        for c in ['赔', '陪', '致', '制', '您', '客', '服', '的', '了'] {
            assert!(distinct.contains(&c), "{c} is common");
        }
        for c in ['檩', '鳜', '轛', '骮'] {
            assert!(!distinct.contains(&c), "{c} is not common");
        }
    }

    #[test]
    fn homophones_share_pinyin_and_exclude_the_character() {
        assert!(homophones('赔').contains(&'陪'));
        assert!(homophones('致').contains(&'制'));
        assert!(!homophones('赔').contains(&'赔'));
        assert!(homophones('a').is_empty());
        assert!(homophones('您').is_empty() && homophones('给').is_empty());
        // A rare character can be substituted *out*, by a common one.
        assert!(!homophones('鳜').is_empty());
    }

    #[test]
    fn same_seed_same_text_other_seed_other_text() {
        let n = AsrNoise::new(0.2, 7);
        let a = corrupt_text(SAMPLE, &n, "call-1", 3);
        assert_eq!(a, corrupt_text(SAMPLE, &n, "call-1", 3));
        assert_ne!(a, SAMPLE);
        assert_ne!(a, corrupt_text(SAMPLE, &AsrNoise::new(0.2, 8), "call-1", 3));
        assert_ne!(a, corrupt_text(SAMPLE, &n, "call-2", 3));
        assert_ne!(a, corrupt_text(SAMPLE, &n, "call-1", 4));
        assert_eq!(
            corrupt_text(SAMPLE, &AsrNoise::new(0.0, 7), "call-1", 3),
            SAMPLE
        );
    }

    #[test]
    fn rate_is_roughly_respected() {
        for rate in [0.1, 0.2, 0.5] {
            let noise = AsrNoise::new(rate, 42);
            let mut total = NoiseStats::default();
            for i in 0..400 {
                total += corrupt_text_with_stats(SAMPLE, &noise, "rate", i).1;
            }
            let changed = total.changed() as f64 / total.han as f64;
            assert!((changed - rate).abs() < 0.01, "rate {rate}: {changed}");
            let drops = total.dropped as f64 / total.changed() as f64;
            assert!((drops - DEFAULT_DROP_SHARE).abs() < 0.03, "drops {drops}");
            // 您 and 给 have no common homophone; most characters do.
            assert!(total.kept * 5 < total.substituted, "{total:?}");
        }
        // Stochastic rounding: short utterances are corrupted at the rate too.
        let short = AsrNoise::new(0.1, 1);
        let changed = (0..2000)
            .filter(|&i| corrupt_text("好的", &short, "short", i) != "好的")
            .count();
        assert!((300..500).contains(&changed), "{changed} of 2000");
    }

    #[test]
    fn substitutions_keep_the_pinyin_and_change_the_character() {
        let noise = AsrNoise::new(0.3, 5).with_drop_share(0.0);
        for i in 0..200 {
            let out = corrupt_text(SAMPLE, &noise, "pinyin", i);
            assert_eq!(out.chars().count(), SAMPLE.chars().count());
            let mut changed = 0;
            for (a, b) in SAMPLE.chars().zip(out.chars()) {
                if a != b {
                    changed += 1;
                    assert_eq!(
                        a.to_pinyin().map(|p| p.plain()),
                        b.to_pinyin().map(|p| p.plain()),
                        "{a} -> {b}"
                    );
                }
            }
            assert!(changed > 0);
        }
    }

    #[test]
    fn only_han_outside_placeholders_is_touched() {
        let keep = |s: &str| -> String {
            let chars: Vec<char> = s.chars().collect();
            let mask = placeholder_mask(&chars);
            chars
                .iter()
                .zip(mask)
                .filter(|(c, m)| *m || !is_han(**c))
                .map(|(c, _)| *c)
                .collect()
        };
        let all_drops = AsrNoise::new(1.0, 3).with_drop_share(1.0);
        let out = corrupt_text(SAMPLE, &all_drops, "x", 0);
        assert_eq!(out, keep(SAMPLE));
        assert!(out.contains("[姓名]") && out.contains("{手机号}") && out.contains("1024"));
        assert_eq!(han_count(&out), 5);
        for seed in 0..50 {
            let out = corrupt_text(SAMPLE, &AsrNoise::new(0.5, seed), "x", 0);
            assert_eq!(keep(&out), keep(SAMPLE));
        }
        let mask = placeholder_mask(&"[x] a[没关 <闭 【地址】".chars().collect::<Vec<_>>());
        let (t, f) = (true, false);
        assert_eq!(mask, [t, t, t, f, f, f, f, f, f, f, f, f, t, t, t, t]);
    }

    #[test]
    fn higher_rates_extend_lower_ones() {
        let drop_free = |rate| AsrNoise::new(rate, 9).with_drop_share(0.0);
        for i in 0..100 {
            let low = corrupt_text(SAMPLE, &drop_free(0.1), "nest", i);
            let high = corrupt_text(SAMPLE, &drop_free(0.2), "nest", i);
            for ((o, l), h) in SAMPLE.chars().zip(low.chars()).zip(high.chars()) {
                if o != l {
                    assert_eq!(l, h);
                }
            }
        }
    }

    #[test]
    fn a_transcript_is_corrupted_utterance_by_utterance() {
        let json = r#"{"call_id": "c-9", "note": "kept", "utterances": [
            {"speaker": "agent", "start_ms": 0, "end_ms": 900, "text": "您好，很高兴为您服务"},
            {"speaker": "customer", "text": "我的快递三天了还没到，单号SF1234"}]}"#;
        let t = Transcript::from_json(json, Path::new("c-9.json")).unwrap();
        let noise = AsrNoise::new(0.3, 11);
        let (out, stats) = corrupt_transcript_with_stats(&t, &noise);
        assert_eq!(out.call_id, t.call_id);
        assert_eq!(out.extra, t.extra);
        assert_eq!(
            stats.han,
            han_count(&t.utterances[0].text) + han_count(&t.utterances[1].text)
        );
        for (i, (u, v)) in t.utterances.iter().zip(&out.utterances).enumerate() {
            assert_eq!(
                (u.speaker.as_str(), u.start_ms, u.end_ms),
                (v.speaker.as_str(), v.start_ms, v.end_ms)
            );
            assert_eq!(v.text, corrupt_text(&u.text, &noise, "c-9", i));
        }
        assert_ne!(out, t);
        assert_eq!(out, corrupt_transcript(&t, &noise));
    }
}
