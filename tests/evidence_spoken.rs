//! Evidence as spoken: quotes come from the utterance as the agent said it
//! (or as the ASR wrote it), widened to whole words, and each evidence span
//! covers exactly the original characters that matched.
//!
//! Utterances are written the way Whisper writes Mandarin phone calls:
//! Traditional characters, spaces between clauses instead of punctuation,
//! homophone slips, numerals as words.

use std::fs;
use std::path::{Path, PathBuf};

use callqa::evidence::{spoken_quote, spoken_span, Evidence};
use callqa::rubric::compile::Rule;
use callqa::rubric::eval::{Context, Located};
use callqa::rubric::{self, CompiledRubric, RubricError};
use callqa::text::{match_form, normalize, normalize_traced, plain_segmenter};
use callqa::transcript::Transcript;

const HEADER: &str = r#"
[rubric]
id = "t"
pass_score = 80
"#;

fn rubric(body: &str) -> CompiledRubric {
    let text = format!("{HEADER}\n{body}");
    let source = rubric::parse("t.toml", &text, |name| {
        Err(RubricError::Invalid {
            origin: "t.toml".into(),
            message: format!("no dictionary {name}"),
        })
    })
    .unwrap();
    CompiledRubric::compile(source).unwrap_or_else(|e| panic!("rubric does not compile: {e}"))
}

/// One item `x` passing when the agent says any phrase of `phrases`.
fn phrase_item(phrases: &[&str]) -> CompiledRubric {
    let list: Vec<String> = phrases.iter().map(|p| format!("{p:?}")).collect();
    rubric(&format!(
        "[phrases.p]\nphrases = [{}]\n[[item]]\nid = \"x\"\npoints = 10\npass = {{ say = {{ role = \"agent\", any = [\"p\"] }} }}\n",
        list.join(", ")
    ))
}

/// One item `x` passing when the agent's words match `regex`.
fn regex_item(regex: &str) -> CompiledRubric {
    rubric(&format!(
        "[[item]]\nid = \"x\"\npoints = 10\npass = {{ say = {{ role = \"agent\", regex = '{regex}' }} }}\n"
    ))
}

fn agent_says(lines: &[&str]) -> Transcript {
    let us: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({
                "speaker": "agent",
                "start_ms": i * 5000,
                "end_ms": i * 5000 + 4000,
                "text": t,
            })
        })
        .collect();
    let json = serde_json::json!({"call_id": "c1", "utterances": us});
    Transcript::from_json(&json.to_string(), Path::new("c1.json")).unwrap()
}

fn evidence(r: &CompiledRubric, t: &Transcript) -> Vec<Evidence> {
    let card = r.score(t);
    let item = card.items.iter().find(|i| i.id == "x").unwrap();
    item.evidence.clone()
}

/// The original characters `[a, b)` of `text`.
fn chars(text: &str, [a, b]: [usize; 2]) -> String {
    text.chars().skip(a).take(b - a).collect()
}

/// `(quote, spanned text)` of every matched entry of the one cited utterance.
fn quoted(r: &CompiledRubric, line: &str) -> Vec<(String, String)> {
    let ev = evidence(r, &agent_says(&[line]));
    assert_eq!(ev.len(), 1, "one utterance cited: {ev:?}");
    let e = &ev[0];
    assert_eq!(e.text, line);
    assert_eq!(e.spans.len(), e.matched.len(), "{e:?}");
    e.matched
        .iter()
        .zip(&e.spans)
        .map(|(m, s)| (m.clone(), chars(&e.text, *s)))
        .collect()
}

fn pair(quote: &str, span: &str) -> (String, String) {
    (quote.to_string(), span.to_string())
}

#[test]
fn traditional_utterance_is_quoted_in_traditional() {
    let r = phrase_item(&["欢迎致电", "很高兴为您服务"]);
    assert_eq!(
        quoted(
            &r,
            "你好 歡迎致電鯨魚外賣 客服小趙很高興為您服務 請問有什麼可以幫您"
        ),
        vec![
            pair("歡迎致電", "歡迎致電"),
            pair("很高興為您服務", "很高興為您服務")
        ]
    );
}

#[test]
fn nin_is_kept_as_said() {
    // The phrase is written with 你; the agent said 您, the ASR wrote 妳 once.
    let r = phrase_item(&["理解你的心情"]);
    assert_eq!(
        quoted(&r, "我非常理解您的心情 這個事情確實是我們沒做好"),
        vec![pair("理解您的心情", "理解您的心情")]
    );
    assert_eq!(
        quoted(&r, "理解妳的心情哈 我這邊馬上幫妳查一下"),
        vec![pair("理解妳的心情", "理解妳的心情")]
    );
}

#[test]
fn homophone_slips_are_quoted_as_the_asr_wrote_them() {
    // The rubric says 理解你的心情; Whisper wrote 心請 (xīn qǐng) and 新情.
    let r = rubric(
        "[phrases.p]\nphrases = [\"理解你的心情\"]\nhomophones = \"exact\"\n[[item]]\nid = \"x\"\npoints = 10\npass = { say = { role = \"agent\", any = [\"p\"] } }\n",
    );
    assert_eq!(
        quoted(&r, "我理解您的心請 是我們出餐把關沒做好"),
        vec![pair("理解您的心請", "理解您的心請")]
    );
    assert_eq!(
        quoted(&r, "我理解你的新情 備用機可以到門店借"),
        vec![pair("理解你的新情", "理解你的新情")]
    );
}

#[test]
fn numerals_are_quoted_as_said() {
    // Matching sees 1个 / 2个 / 3个工作日 / 24小时; the quote is what was said.
    let r = regex_item("免费[给您]*换[0-9]");
    assert_eq!(
        quoted(&r, "這樣吧 我這邊免費給您換一個新的 您看可以嗎"),
        vec![pair("免費給您換一個", "免費給您換一")]
    );
    let r = regex_item("再送您[0-9]个");
    assert_eq!(
        quoted(&r, "另外再送您兩個杯子 算是我們的一點心意"),
        vec![pair("再送您兩個", "再送您兩個")]
    );
    let r = regex_item("[0-9]+个工作日|[0-9]+小时");
    assert_eq!(
        quoted(
            &r,
            "退款會在三個工作日內原路返回 如果二十四小時還沒有收到 您再打過來"
        ),
        // The span is what the pattern matched; the quote is whole words,
        // and jieba reads 工作日内 as one.
        vec![
            pair("三個工作日內", "三個工作日"),
            pair("二十四小時", "二十四小時")
        ]
    );
    // Digits the ASR already wrote stay digits.
    assert_eq!(
        quoted(&r, "3个工作日内给您回电"),
        vec![pair("3个工作日内", "3个工作日")]
    );
}

#[test]
fn a_match_cut_mid_word_is_quoted_to_the_end_of_the_word() {
    let r = regex_item("审核通过，退");
    assert_eq!(
        quoted(&r, "我這邊馬上給您審核通過 退款一般當天就到"),
        vec![pair("審核通過 退款", "審核通過 退")]
    );
    // …and from the start of the word it begins in.
    let r = regex_item("款一般当天");
    assert_eq!(
        quoted(&r, "我這邊馬上給您審核通過 退款一般當天就到"),
        vec![pair("退款一般當天", "款一般當天")]
    );
}

#[test]
fn spans_keep_punctuation_and_spaces_between_matched_words() {
    let r = phrase_item(&["喂说话呀"]);
    assert_eq!(
        quoted(&r, "喂，說話呀！ 能聽到嗎"),
        vec![pair("喂，說話呀", "喂，說話呀")]
    );
    assert_eq!(
        quoted(&r, "喂 說話呀 喂"),
        vec![pair("喂 說話呀", "喂 說話呀")]
    );
}

#[test]
fn emoji_ascii_and_full_width_input() {
    let r = phrase_item(&["好的谢谢您"]);
    assert_eq!(
        quoted(&r, "好的😊謝謝您🙏"),
        vec![pair("好的😊謝謝您", "好的😊謝謝您")]
    );
    let r = regex_item("订单号?ab[0-9]+");
    assert_eq!(
        quoted(&r, "您的訂單號ＡＢ１２３４已經退款了"),
        vec![pair("訂單號ＡＢ１２３４", "訂單號ＡＢ１２３４")]
    );
    let r = regex_item("app");
    assert_eq!(
        quoted(&r, "您在APP裡點一下賬單分期就行"),
        vec![pair("APP", "APP")]
    );
}

#[test]
fn normalisation_that_changes_length_keeps_offsets_right() {
    // Leading spaces dropped, an ellipsis run collapsed, an emoji removed,
    // 百分之百 written as 100%: the span still points into the original.
    let line = "   嗯……  ……您放心😊 百分之百給您修好 保證跟新的一樣";
    let traced = normalize_traced(line);
    assert_eq!(traced.normalized, normalize(line));
    assert_ne!(traced.normalized.chars().count(), line.chars().count());
    let r = regex_item("100%给您修好");
    assert_eq!(
        quoted(&r, line),
        vec![pair("百分之百給您修好", "百分之百給您修好")]
    );
    let r = phrase_item(&["保证跟新的一样"]);
    let got = quoted(&r, line);
    assert_eq!(got, vec![pair("保證跟新的一樣", "保證跟新的一樣")]);
}

#[test]
fn the_same_words_matched_twice_are_two_entries_in_order() {
    let r = phrase_item(&["不好意思"]);
    let ev = evidence(&r, &agent_says(&["不好意思 讓您久等了 真的不好意思"]));
    assert_eq!(ev[0].matched, vec!["不好意思", "不好意思"]);
    assert_eq!(ev[0].spans, vec![[0, 4], [13, 17]]);
}

#[test]
fn reasons_quote_through_spoken_quote() {
    let r = phrase_item(&["欢迎致电"]);
    let t = agent_says(&["歡迎致電鯨魚外賣"]);
    let call = r.analyze(&t);
    let hits = all_hits(&r, &call);
    assert!(!hits.is_empty());
    for h in &hits {
        assert_eq!(spoken_quote(&call, h), "歡迎致電");
        assert_eq!(spoken_span(&call, h), Some([0, 4]));
    }
}

#[test]
fn evidence_is_deterministic() {
    let r = phrase_item(&["欢迎致电", "3个工作日", "理解你的心情"]);
    let t = agent_says(&[
        "歡迎致電鯨魚外賣 我理解您的心情",
        "三個工作日內給您回電 三個工作日",
    ]);
    let a = serde_json::to_string(&r.score(&t)).unwrap();
    for _ in 0..5 {
        assert_eq!(serde_json::to_string(&r.score(&t)).unwrap(), a);
    }
}

#[test]
fn old_scorecards_without_spans_still_load() {
    let old =
        r#"{"speaker":"agent","start_ms":1,"end_ms":2,"text":"歡迎致電","matched":["欢迎致电"]}"#;
    let e: Evidence = serde_json::from_str(old).unwrap();
    assert!(e.spans.is_empty());
    // …and spans are written only when there are some.
    assert!(!serde_json::to_string(&e).unwrap().contains("spans"));
}

#[test]
fn traced_normalisation_is_normalisation() {
    for line in [
        "",
        "  ",
        "歡迎致電，謝謝您的來電!",
        "ＡＢＣ１２３，好的?",
        "您好 欢迎 致电",
        "订单 ORDER 123",
        "好的😊🙏",
        "三个工作日内 二十四小时 一百零五元 百分之五十 一点半 十分抱歉",
        "嗯。。。。  ，，好吧！！",
        "工号二七零五 一万二千块",
    ] {
        let t = normalize_traced(line);
        assert_eq!(t.normalized, normalize(line), "{line}");
        assert_eq!(t.source.len(), t.normalized.chars().count(), "{line}");
        assert_eq!(t.simplified.chars().count(), line.chars().count(), "{line}");
        let n = line.chars().count() as u32;
        let mut last = [0u32, 0u32];
        for r in &t.source {
            assert!(r[0] < r[1] && r[1] <= n, "{line}: {r:?}");
            assert!(r[0] >= last[0], "{line}: sources out of order");
            last = *r;
        }
    }
}

// ---------------------------------------------------------------------------
// Every fixture folder, with the shipped rubric.

fn all_hits(r: &CompiledRubric, call: &callqa::rubric::compile::CallView) -> Vec<Located> {
    let ctx = Context { rubric: r, call };
    let mut hits = Vec::new();
    for item in &r.items {
        if let Some(applies) = &item.applies {
            hits.extend(ctx.eval(applies).out.evidence);
        }
        let cond = match &item.rule {
            Rule::PassWhen(c) | Rule::FailWhen(c) => c,
        };
        hits.extend(ctx.eval(cond).out.evidence);
    }
    hits
}

/// The normalised form of a match with every numeral run (Chinese or Arabic)
/// replaced by `#`: a span holds the numerals as said (二十四), the
/// normalised match the digits (24); everything else must be equal.
fn numeral_blind(s: &str) -> String {
    let s = match_form(s).replace("百分之", "").replace('%', "");
    let mut out = String::new();
    let mut in_run = false;
    for c in s.chars() {
        let numeral = c.is_ascii_digit() || "零〇一幺二两三四五六七八九十百千万".contains(c);
        if numeral {
            if !in_run {
                out.push('#');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

fn fixture_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "fixtures/golden",
        "fixtures/holdout",
        "fixtures/blind",
        "fixtures/real/dev",
        "fixtures/real/heldout",
    ] {
        let dir = root.join(dir);
        let mut here: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

#[test]
fn every_fixture_span_is_exactly_the_match_and_every_quote_whole_words() {
    let r = rubric::load_and_compile(Some(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rubrics/cs-standard.toml"
    ))))
    .unwrap();
    let (mut checked, mut changed, mut cards) = (0usize, 0usize, 0usize);
    for file in fixture_files() {
        let Ok(t) = Transcript::from_path(&file) else {
            continue;
        };
        let call = r.analyze(&t);
        for h in all_hits(&r, &call) {
            if h.matched.is_empty() || h.start >= h.end {
                assert_eq!(spoken_span(&call, &h), None);
                continue;
            }
            let text = &call.transcript.utterances[call.utterances[h.utterance].source_index].text;
            let orig: Vec<char> = text.chars().collect();
            let span = spoken_span(&call, &h).expect("a quotable hit has a span");
            let quote = spoken_quote(&call, &h);
            let where_ = format!("{}: {text} / {:?} → {quote}", file.display(), h.matched);
            // The span is exactly the matched characters: it begins and ends
            // on content, and read back through normalisation it is the match.
            let spanned = chars(text, span);
            assert!(span[0] < span[1] && span[1] <= orig.len(), "{where_}");
            assert!(
                !callqa::text::is_punctuation(orig[span[0]])
                    && !callqa::text::is_punctuation(orig[span[1] - 1]),
                "{where_}: span {spanned:?} starts or ends on punctuation"
            );
            assert_eq!(
                numeral_blind(&normalize(&spanned)),
                numeral_blind(&h.matched),
                "{where_}: span {spanned:?}"
            );
            // The quote is the span widened to word boundaries of the text as said.
            let quote_chars: Vec<char> = quote.chars().collect();
            let at = (0..=span[0])
                .rev()
                .find(|&a| orig[a..].starts_with(&quote_chars))
                .unwrap_or_else(|| panic!("{where_}: quote not around the span"));
            let end = at + quote_chars.len();
            assert!(end >= span[1], "{where_}");
            let words = plain_segmenter().word_boundaries(&normalize_traced(text).simplified);
            assert!(words[at] && words[end], "{where_}: quote cuts a word");
            checked += 1;
            if quote != h.matched {
                changed += 1;
            }
        }
        // The scorecard's evidence is made of the same spans and quotes.
        let card = r.score_view(&call);
        for item in &card.items {
            for e in &item.evidence {
                assert_eq!(e.spans.len(), e.matched.len(), "{}: {e:?}", file.display());
                assert!(e.spans.windows(2).all(|w| w[0] <= w[1]), "{e:?}");
                for (m, s) in e.matched.iter().zip(&e.spans) {
                    assert!(m.contains(&chars(&e.text, *s)), "{}: {e:?}", file.display());
                }
            }
        }
        cards += 1;
    }
    assert!(
        cards >= 200 && checked > 1000,
        "{cards} calls, {checked} hits"
    );
    // Traditional, numeral and 您 fixtures exist, so some quotes must differ
    // from the normalised match.
    assert!(changed > 50, "only {changed} of {checked} quotes differ");
    eprintln!(
        "{cards} calls, {checked} hits, {changed} quoted differently from the normalised match"
    );
}
