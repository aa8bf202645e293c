//! The rubric language, operator by operator, on small inline rubrics and
//! calls: each test pins one behaviour that a rubric author relies on.

use callqa::rubric::{self, CompiledRubric, RubricError};
use callqa::score::{Scorecard, Verdict};
use callqa::transcript::Transcript;
use std::path::Path;

const HEADER: &str = r#"
[rubric]
id = "t"
pass_score = 80
min_confidence = 0.5
"#;

fn compile(body: &str) -> Result<CompiledRubric, RubricError> {
    let text = format!("{HEADER}\n{body}");
    let source = rubric::parse("t.toml", &text, |name| {
        Err(RubricError::Invalid {
            origin: "t.toml".into(),
            message: format!("no dictionary {name}"),
        })
    })?;
    CompiledRubric::compile(source)
}

fn rubric(body: &str) -> CompiledRubric {
    compile(body).unwrap_or_else(|e| panic!("rubric does not compile: {e}"))
}

/// `(speaker, start_ms, end_ms, text)`; negative times mean "no timestamps".
fn call(utterances: &[(&str, i64, i64, &str)]) -> Transcript {
    let us: Vec<serde_json::Value> = utterances
        .iter()
        .map(|(s, a, b, t)| {
            if *a < 0 {
                serde_json::json!({"speaker": s, "text": t})
            } else {
                serde_json::json!({"speaker": s, "start_ms": a, "end_ms": b, "text": t})
            }
        })
        .collect();
    let json = serde_json::json!({"call_id": "c1", "utterances": us});
    Transcript::from_json(&json.to_string(), Path::new("c1.json")).unwrap()
}

fn verdict(card: &Scorecard, item: &str) -> Verdict {
    card.items.iter().find(|i| i.id == item).unwrap().verdict
}

fn one_item(body: &str, rule: &str) -> CompiledRubric {
    rubric(&format!(
        "{body}\n[[item]]\nid = \"x\"\npoints = 10\n{rule}\n"
    ))
}

fn x(r: &CompiledRubric, t: &Transcript) -> Verdict {
    verdict(&r.score(t), "x")
}

#[test]
fn phrases_match_on_token_boundaries_only() {
    let r = one_item(
        "[phrases.p]\nphrases = [\"真好\", \"好\"]",
        "pass = { say = { role = \"agent\", any = [\"p\"] } }",
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "这件衣服真好看")])),
        Verdict::Fail
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "这样不好")])),
        Verdict::Fail
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "今天天气真好")])),
        Verdict::Pass
    );
    let chars = one_item(
        "[phrases.p]\nphrases = [\"好\"]\nboundary = \"char\"",
        "pass = { say = { role = \"agent\", any = [\"p\"] } }",
    );
    assert_eq!(
        x(&chars, &call(&[("agent", -1, -1, "这样不好")])),
        Verdict::Pass
    );
}

#[test]
fn homophones_tolerate_asr_errors_only_when_asked() {
    let rule = "pass = { say = { role = \"agent\", any = [\"p\"] } }";
    let off = one_item("[phrases.p]\nphrases = [\"赔付\"]", rule);
    let exact = one_item(
        "[phrases.p]\nphrases = [\"赔付\"]\nhomophones = \"exact\"",
        rule,
    );
    let garbled = call(&[(
        "agent",
        -1,
        -1,
        "我们按运费的三倍给您陪付，另外再送您一张券",
    )]);
    assert_eq!(x(&off, &garbled), Verdict::Fail);
    assert_eq!(x(&exact, &garbled), Verdict::Pass);
    let fuzzy_rule = "pass = { say = { role = \"agent\", any = [\"p\"] } }";
    let exact2 = one_item(
        "[phrases.p]\nphrases = [\"客服代表\"]\nhomophones = \"exact\"",
        fuzzy_rule,
    );
    let fuzzy = one_item(
        "[phrases.p]\nphrases = [\"客服代表\"]\nhomophones = \"fuzzy\"",
        fuzzy_rule,
    );
    let kehu = call(&[("agent", -1, -1, "我是客户代表小王")]);
    assert_eq!(x(&exact2, &kehu), Verdict::Fail);
    assert_eq!(x(&fuzzy, &kehu), Verdict::Pass);
    // Traditional characters and full-width punctuation are normalised first.
    assert_eq!(
        x(&off, &call(&[("agent", -1, -1, "按運費的三倍給您賠付！")])),
        Verdict::Pass
    );
}

/// A homophone match needs two syllables that carry meaning: 谢了 is one
/// word and a particle, and its homophone 写了 ("wrote") is everyday speech
/// (页面上写了发货后自行联系快递 is no thanks). Written as said, 谢了 still
/// matches; a two-syllable word still matches its ASR misspelling.
#[test]
fn a_particle_does_not_make_a_homophone_match() {
    let rule = "pass = { say = { role = \"agent\", any = [\"p\"] } }";
    let thanks = one_item(
        "[phrases.p]\nphrases = [\"谢了\", \"致电\"]\nhomophones = \"exact\"",
        rule,
    );
    let wrote = call(&[("agent", -1, -1, "页面上写了发货后自行联系快递")]);
    assert_eq!(x(&thanks, &wrote), Verdict::Fail);
    let said = call(&[("agent", -1, -1, "好的，谢了，再见")]);
    assert_eq!(x(&thanks, &said), Verdict::Pass);
    let misheard = call(&[("agent", -1, -1, "感谢您制电星辰客服")]);
    assert_eq!(x(&thanks, &misheard), Verdict::Pass);
}

#[test]
fn negation_scope_excludes_or_selects_negated_hits() {
    let exclude = one_item(
        "[phrases.p]\nphrases = [\"保证\"]\nnegation = \"exclude\"",
        "fail = { say = { role = \"agent\", any = [\"p\"] } }",
    );
    assert_eq!(
        x(&exclude, &call(&[("agent", -1, -1, "这个我不能保证")])),
        Verdict::Pass
    );
    assert_eq!(
        x(&exclude, &call(&[("agent", -1, -1, "我保证明天修好")])),
        Verdict::Fail
    );
    // a cue in another clause does not negate
    assert_eq!(
        x(
            &exclude,
            &call(&[("agent", -1, -1, "不是问题，我保证明天修好")])
        ),
        Verdict::Fail
    );
    let only = one_item(
        "[phrases.p]\nphrases = [\"保证\"]\nnegation = \"only\"",
        "pass = { say = { role = \"agent\", any = [\"p\"] } }",
    );
    assert_eq!(
        x(&only, &call(&[("agent", -1, -1, "这个我不能保证")])),
        Verdict::Pass
    );
    assert_eq!(
        x(&only, &call(&[("agent", -1, -1, "我保证")])),
        Verdict::Fail
    );
}

#[test]
fn regex_with_exclusion_and_role_scope() {
    let r = one_item(
        "",
        "pass = { say = { role = \"agent\", regex = '[0-9]+个工作日内', exclude = '一般|通常' } }",
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "三个工作日内给您答复")])),
        Verdict::Pass
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "一般三个工作日内到账")])),
        Verdict::Fail
    );
    assert_eq!(
        x(&r, &call(&[("customer", -1, -1, "三个工作日内给我答复")])),
        Verdict::Fail
    );
}

#[test]
fn set_operators_any_all_at_least_none() {
    let sets = "[phrases.a]\nphrases = [\"您好\"]\n[phrases.b]\nphrases = [\"欢迎致电\"]\n[phrases.c]\nphrases = [\"请讲\"]";
    let all = one_item(
        sets,
        "pass = { say = { role = \"agent\", all = [\"a\", \"b\", \"c\"] } }",
    );
    let two = one_item(
        sets,
        "pass = { say = { role = \"agent\", at_least = 2, of = [\"a\", \"b\", \"c\"] } }",
    );
    let none = one_item(
        sets,
        "pass = { say = { role = \"agent\", none = [\"c\"] } }",
    );
    let full = call(&[("agent", -1, -1, "您好，欢迎致电，请讲")]);
    let partial = call(&[("agent", -1, -1, "您好，请讲")]);
    let bare = call(&[("agent", -1, -1, "喂")]);
    assert_eq!(x(&all, &full), Verdict::Pass);
    assert_eq!(x(&all, &partial), Verdict::Fail);
    assert_eq!(x(&two, &partial), Verdict::Pass);
    assert_eq!(x(&two, &bare), Verdict::Fail);
    assert_eq!(x(&none, &bare), Verdict::Pass);
    assert_eq!(x(&none, &partial), Verdict::Fail);
}

#[test]
fn windows_by_turn_time_and_percent() {
    let sets = "[phrases.g]\nphrases = [\"您好\"]";
    let first_turn = one_item(
        sets,
        "pass = { say = { role = \"agent\", any = [\"g\"], within = { first_turns = 1 } } }",
    );
    let first_ms = one_item(
        sets,
        "pass = { say = { role = \"agent\", any = [\"g\"], within = { first_ms = 5000 } } }",
    );
    let last_pct = one_item(
        sets,
        "pass = { say = { role = \"agent\", any = [\"g\"], within = { last_percent = 20.0 } } }",
    );
    let late = call(&[
        ("agent", 0, 1000, "喂"),
        ("customer", 1500, 3000, "你好"),
        ("agent", 8000, 9000, "您好"),
        ("customer", 9500, 40000, "我想问一下账单的事情"),
    ]);
    assert_eq!(x(&first_turn, &late), Verdict::Fail);
    assert_eq!(x(&first_ms, &late), Verdict::Fail);
    // Two ASR segments of one opening turn are still the first turn.
    let split = call(&[
        ("agent", 0, 1000, "喂"),
        ("agent", 1200, 2000, "您好"),
        ("customer", 2500, 4000, "你好"),
    ]);
    assert_eq!(x(&first_turn, &split), Verdict::Pass);
    assert_eq!(x(&first_ms, &split), Verdict::Pass);
    let ending = call(&[
        ("customer", 0, 8000, "我要改地址"),
        ("agent", 8500, 9000, "好的"),
        ("agent", 9100, 10000, "您好"),
    ]);
    assert_eq!(x(&last_pct, &ending), Verdict::Pass);
    // A time window on a call without timestamps cannot be judged: na by default.
    assert_eq!(
        x(&first_ms, &call(&[("agent", -1, -1, "您好")])),
        Verdict::Na
    );
}

#[test]
fn ordering_before_after_nth_and_between() {
    let sets = "[phrases.sorry]\nphrases = [\"抱歉\"]\n[phrases.offer]\nphrases = [\"代金券\"]";
    let before = one_item(sets, "pass = { before = { first = { role = \"agent\", any = [\"sorry\"] }, then = { role = \"agent\", any = [\"offer\"] } } }");
    let after_second = one_item(sets, "pass = { after = { first = { role = \"agent\", any = [\"sorry\"] }, then = { role = \"agent\", any = [\"offer\"] }, nth = 2 } }");
    let between = one_item(
        sets,
        "pass = { between = { from = { role = \"agent\", any = [\"sorry\"] }, to = { role = \"agent\", any = [\"offer\"] }, speaker = \"customer\" } }",
    );
    let good = call(&[
        ("customer", -1, -1, "我的快递丢了"),
        ("agent", -1, -1, "真的很抱歉"),
        ("customer", -1, -1, "那怎么办"),
        ("agent", -1, -1, "送您一张代金券"),
        ("agent", -1, -1, "再送一张代金券，再次抱歉"),
    ]);
    let one_breath = call(&[
        ("customer", -1, -1, "我的快递丢了"),
        ("agent", -1, -1, "真的很抱歉，送您一张代金券"),
    ]);
    assert_eq!(x(&before, &good), Verdict::Pass);
    assert_eq!(
        x(&before, &one_breath),
        Verdict::Pass,
        "the apology comes first within the utterance"
    );
    assert_eq!(x(&after_second, &good), Verdict::Pass);
    assert_eq!(
        x(&after_second, &one_breath),
        Verdict::Fail,
        "there is no second offer"
    );
    assert_eq!(x(&between, &good), Verdict::Pass);
    assert_eq!(x(&between, &one_breath), Verdict::Fail);
    let card = between.score(&one_breath);
    assert!(
        card.items[0].reason_en.contains("same breath"),
        "{}",
        card.items[0].reason_en
    );
    assert!(
        card.items[0].reason.contains("同一段话"),
        "{}",
        card.items[0].reason
    );
}

#[test]
fn every_hit_needs_support_in_scope() {
    let r = one_item(
        "[phrases.promise]\nphrases = [\"给您回电\"]",
        "applies = { say = { role = \"agent\", any = [\"promise\"] } }\npass = { every = { of = { role = \"agent\", any = [\"promise\"] }, has = { role = \"agent\", regex = '明天|[0-9]+点' }, scope = \"sentence\" } }",
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "明天上午给您回电。")])),
        Verdict::Pass
    );
    assert_eq!(
        x(
            &r,
            &call(&[("agent", -1, -1, "明天上午给您回电。稍后再给您回电。")])
        ),
        Verdict::Fail
    );
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "好的，再见。")])),
        Verdict::Na
    );
}

#[test]
fn repetition_counts_the_same_formula() {
    let r = one_item(
        "[phrases.f]\nphrases = [\"理解您的心情\", \"非常理解\"]",
        "fail = { repeated = { of = { role = \"agent\", any = [\"f\"] }, times = 3 } }",
    );
    let thrice = call(&[
        ("agent", -1, -1, "我理解您的心情"),
        ("agent", -1, -1, "我理解你的心情"),
        ("agent", -1, -1, "我非常理解您的心情"),
    ]);
    let varied = call(&[
        ("agent", -1, -1, "我理解您的心情"),
        ("agent", -1, -1, "非常理解"),
        ("agent", -1, -1, "我理解您的心情"),
    ]);
    assert_eq!(x(&r, &thrice), Verdict::Fail);
    assert_eq!(x(&r, &varied), Verdict::Pass);
}

#[test]
fn interruption_respects_grace_and_backchannels() {
    let r = one_item(
        "[phrases.bc]\nphrases = [\"嗯\", \"好的\", \"对\"]",
        "without_timestamps = \"na\"\nfail = { interruption = { by = \"agent\", of = \"customer\", grace_ms = 500, backchannel = [\"bc\"], backchannel_max_chars = 4 } }",
    );
    let inside_grace = call(&[
        ("customer", 0, 5000, "我的宽带又断了"),
        ("agent", 4700, 6000, "我帮您查一下线路"),
    ]);
    let early = call(&[
        ("customer", 0, 5000, "我的宽带又断了"),
        ("agent", 3500, 6000, "我帮您查一下线路"),
    ]);
    let backchannel = call(&[
        ("customer", 0, 5000, "我的宽带又断了"),
        ("agent", 2000, 2300, "嗯"),
        ("agent", 5300, 6000, "我帮您查一下"),
    ]);
    let contradiction = call(&[
        ("customer", 0, 5000, "你们多扣了我的钱"),
        ("agent", 2000, 2600, "不对不对"),
    ]);
    let customer_over_agent = call(&[
        ("agent", 0, 5000, "我帮您查一下线路"),
        ("customer", 3000, 6000, "那你快点查"),
    ]);
    assert_eq!(x(&r, &inside_grace), Verdict::Pass);
    assert_eq!(x(&r, &early), Verdict::Fail);
    assert_eq!(x(&r, &backchannel), Verdict::Pass);
    assert_eq!(x(&r, &contradiction), Verdict::Fail);
    assert_eq!(x(&r, &customer_over_agent), Verdict::Pass);
    assert_eq!(x(&r, &call(&[("agent", -1, -1, "您好")])), Verdict::Na);
}

#[test]
fn silence_needs_an_announcement_right_before() {
    let r = one_item(
        "[phrases.hold]\nphrases = [\"请稍等\"]",
        "fail = { silence = { min_ms = 15000, announced = { role = \"agent\", any = [\"hold\"] }, lookback = 2 } }",
    );
    let announced = call(&[
        ("agent", 0, 2000, "好的，请稍等"),
        ("customer", 2500, 3000, "好"),
        ("agent", 20000, 22000, "让您久等了"),
    ]);
    let unannounced = call(&[
        ("agent", 0, 2000, "请报一下单号"),
        ("customer", 2500, 3000, "一二三"),
        ("agent", 20000, 22000, "查到了"),
    ]);
    let short = call(&[
        ("agent", 0, 2000, "请报一下单号"),
        ("customer", 2500, 3000, "一二三"),
        ("agent", 17000, 18000, "查到了"),
    ]);
    let stale = call(&[
        ("agent", 0, 2000, "请稍等"),
        ("agent", 4000, 5000, "查到了"),
        ("customer", 5500, 6000, "然后呢"),
        ("agent", 25000, 26000, "是这样"),
    ]);
    assert_eq!(x(&r, &announced), Verdict::Pass);
    assert_eq!(x(&r, &unannounced), Verdict::Fail);
    assert_eq!(x(&r, &short), Verdict::Pass, "14 s is under the bound");
    assert_eq!(x(&r, &stale), Verdict::Fail);
}

#[test]
fn talk_ratio_and_speech_rate() {
    let ratio = one_item(
        "",
        "fail = { talk_ratio = { role = \"agent\", other = \"customer\", above = 3.0 } }",
    );
    assert_eq!(
        x(
            &ratio,
            &call(&[
                ("agent", -1, -1, "一二三四五六七八九十"),
                ("customer", -1, -1, "好的好")
            ])
        ),
        Verdict::Fail
    );
    assert_eq!(
        x(
            &ratio,
            &call(&[
                ("agent", -1, -1, "一二三四五六七八九"),
                ("customer", -1, -1, "好的好")
            ])
        ),
        Verdict::Pass
    );
    let rate = one_item(
        "",
        "fail = { speech_rate = { role = \"agent\", above = 300.0 } }",
    );
    // 10 characters in 1 s = 600 per minute
    assert_eq!(
        x(&rate, &call(&[("agent", 0, 1000, "一二三四五六七八九十")])),
        Verdict::Fail
    );
    assert_eq!(
        x(&rate, &call(&[("agent", 0, 4000, "一二三四五六七八九十")])),
        Verdict::Pass
    );
    assert_eq!(
        x(&rate, &call(&[("agent", -1, -1, "一二三四五六七八九十")])),
        Verdict::Na
    );
}

#[test]
fn boolean_composition() {
    let sets = "[phrases.a]\nphrases = [\"谢谢\"]\n[phrases.b]\nphrases = [\"再见\"]";
    let r = one_item(
        sets,
        "pass = { all = [ { say = { role = \"agent\", any = [\"a\"] } }, { not = { say = { role = \"agent\", any = [\"b\"] } } } ] }",
    );
    assert_eq!(x(&r, &call(&[("agent", -1, -1, "谢谢")])), Verdict::Pass);
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "谢谢，再见")])),
        Verdict::Fail
    );
    let n = one_item(
        sets,
        "pass = { at_least = { n = 1, of = [ { say = { any = [\"a\"] } }, { say = { any = [\"b\"] } } ] } }",
    );
    assert_eq!(x(&n, &call(&[("customer", -1, -1, "再见")])), Verdict::Pass);
}

#[test]
fn scoring_na_critical_flag_threshold_and_confidence() {
    let r = rubric(
        r#"
[phrases.thanks]
phrases = ["谢谢"]
[phrases.comp]
phrases = ["代金券"]
[phrases.taboo]
phrases = ["爱买不买"]

[[item]]
id = "thanks"
points = 30
pass = { say = { role = "agent", any = ["thanks"] } }

[[item]]
id = "comp"
points = 70
applies = { say = { role = "agent", any = ["comp"] } }
pass = { say = { role = "agent", words = ["抱歉"] } }

[[item]]
id = "taboo"
critical = true
fail = { say = { role = "agent", any = ["taboo"] } }

[[item]]
id = "ratio"
flag = true
fail = { talk_ratio = { role = "agent", other = "customer", above = 3.0 } }
"#,
    );
    let polite = r.score(&call(&[
        ("agent", -1, -1, "谢谢您的来电，这个问题我们会处理好的"),
        ("customer", -1, -1, "好"),
    ]));
    assert_eq!(verdict(&polite, "comp"), Verdict::Na, "{polite:#?}");
    assert_eq!(polite.score, 100.0, "na items leave the denominator");
    assert!(polite.passed);
    assert_eq!(verdict(&polite, "ratio"), Verdict::Review);
    assert_eq!(
        polite
            .items
            .iter()
            .find(|i| i.id == "ratio")
            .unwrap()
            .points,
        0.0
    );

    let offer = r.score(&call(&[
        ("agent", -1, -1, "谢谢，送您代金券"),
        ("customer", -1, -1, "好的谢谢你"),
    ]));
    assert_eq!(offer.score, 30.0);
    assert!(!offer.passed, "below the pass score");

    let rude = r.score(&call(&[
        ("agent", -1, -1, "谢谢，爱买不买"),
        ("customer", -1, -1, "你说什么"),
    ]));
    assert!(rude.critical_failed);
    assert_eq!(rude.score, 0.0);
    assert!(!rude.passed);
    let customer_rude = r.score(&call(&[
        ("agent", -1, -1, "谢谢"),
        ("customer", -1, -1, "你们爱买不买"),
    ]));
    assert!(!customer_rude.critical_failed, "only the agent is judged");

    let text = r#"{"call_id":"c","utterances":[{"speaker":"agent","text":"爱买不买","confidence":0.2},{"speaker":"customer","text":"什么"}]}"#;
    let unsure = r.score(&Transcript::from_json(text, Path::new("c.json")).unwrap());
    assert_eq!(
        verdict(&unsure, "taboo"),
        Verdict::Review,
        "low ASR confidence turns a fail into review"
    );
    assert!(!unsure.critical_failed);
}

#[test]
fn named_matches_are_reused_and_overridden() {
    let r = rubric(
        r#"
[phrases.offer]
phrases = ["代金券"]
[matches.comp]
role = "agent"
any = ["offer"]
[[item]]
id = "x"
points = 1
pass = { say = { use = "comp", within = { last_turns = 1 } } }
"#,
    );
    assert_eq!(
        x(
            &r,
            &call(&[
                ("agent", -1, -1, "送您代金券"),
                ("customer", -1, -1, "好"),
                ("agent", -1, -1, "再见")
            ])
        ),
        Verdict::Fail
    );
    assert_eq!(
        x(
            &r,
            &call(&[("customer", -1, -1, "好"), ("agent", -1, -1, "送您代金券")])
        ),
        Verdict::Pass
    );
}

#[test]
fn errors_name_file_line_column_and_alternatives() {
    let unknown_field = compile(
        "[[item]]\nid = \"x\"\npoints = 1\npass = { say = { role = \"agent\", anyy = [\"p\"] } }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(unknown_field.starts_with("t.toml:"), "{unknown_field}");
    assert!(
        unknown_field.contains("anyy") && unknown_field.contains("`any`"),
        "{unknown_field}"
    );
    let line = unknown_field.split(':').nth(1).unwrap();
    assert_eq!(line, "10", "{unknown_field}");

    let unknown_operator =
        compile("[[item]]\nid = \"x\"\npass = { sayy = { role = \"agent\" } }\n")
            .unwrap_err()
            .to_string();
    assert!(
        unknown_operator.contains("sayy")
            && unknown_operator.contains("say")
            && unknown_operator.contains("interruption"),
        "{unknown_operator}"
    );

    let unknown_set = compile("[phrases.thanks]\nphrases = [\"谢谢\"]\n[[item]]\nid = \"x\"\npass = { say = { any = [\"thank\"] } }\n").unwrap_err().to_string();
    assert!(
        unknown_set.contains("unknown phrase set `thank`") && unknown_set.contains("`thanks`"),
        "{unknown_set}"
    );
    assert!(unknown_set.starts_with("t.toml:11:"), "{unknown_set}");

    let bad_regex = compile("[[item]]\nid = \"x\"\npass = { say = { regex = '(unclosed' } }\n")
        .unwrap_err()
        .to_string();
    assert!(
        bad_regex.contains("invalid regex") && bad_regex.starts_with("t.toml:9:"),
        "{bad_regex}"
    );

    let both = compile("[[item]]\nid = \"x\"\npass = { say = { words = [\"a\"] } }\nfail = { say = { words = [\"b\"] } }\n").unwrap_err().to_string();
    assert!(both.contains("exactly one of `pass` or `fail`"), "{both}");

    let bad_role = compile("[[item]]\nid = \"x\"\npass = { say = { role = \"boss\" } }\n")
        .unwrap_err()
        .to_string();
    assert!(
        bad_role.contains("boss") && bad_role.contains("agent") && bad_role.contains("customer"),
        "{bad_role}"
    );
}

#[test]
fn builtin_rubric_has_the_contract_items() {
    let r = rubric::load_and_compile(None).unwrap();
    let ids: Vec<&str> = r.items.iter().map(|i| i.def.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "greeting",
            "listen_first",
            "compensation_timing",
            "empathy_variety",
            "ownership",
            "promise_specific",
            "no_overpromise",
            "transfer",
            "thanks",
            "positive_tone",
            "hold_silence",
            "closing",
            "forbidden",
            "talk_balance"
        ]
    );
    let points: f64 = r.items.iter().map(|i| i.def.points).sum();
    assert_eq!(points, 100.0, "cs-standard is out of 100 points");
    assert!(r.item("forbidden").unwrap().def.critical);
    assert!(r.item("talk_balance").unwrap().def.flag);
    for item in &r.items {
        assert!(
            [&item.def.what, &item.def.why, &item.def.example]
                .iter()
                .all(|text| !text.zh.trim().is_empty() && !text.en.trim().is_empty())
                && !item.def.source.trim().is_empty(),
            "{} lacks docs",
            item.def.id
        );
    }
}

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rubrics/rubric.schema.json"
    ))
    .unwrap();
    assert_eq!(
        committed.trim(),
        rubric::json_schema().trim(),
        "run `callqa schema > rubrics/rubric.schema.json`"
    );
}

const COMMITMENT: &str = r#"
[phrases.self_reference]
phrases = ["我", "我们", "这边", "我这边", "我们这边"]
[phrases.action_verb]
phrases = ["处理", "核实", "跟进", "登记", "反馈", "安排", "回电"]
[patterns.commitment]
label = "a commitment to act"
homophones = "exact"
negation = "exclude"
match = [
  "self_reference (会|马上|已经|已)? (给您|为您|帮您)? action_verb",
  "(已经|已) (给您|为您|帮您) _{0,2} action_verb",
]
"#;

#[test]
fn token_patterns_match_sequences_with_optional_positions_and_gaps() {
    let r = one_item(
        COMMITMENT,
        "pass = { say = { role = \"agent\", any = [\"commitment\"] } }",
    );
    for said in [
        "这边马上帮您登记一下哈",
        "我们已经给您反馈了",
        "我来看看，我处理",
        "已经为您加急安排了",
        "好的我这边帮您核实",
    ] {
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, said)])),
            Verdict::Pass,
            "{said}"
        );
    }
    for said in [
        // negation before the match, or filling a gap
        "我们没法帮您处理",
        "已经帮您没有处理",
        // wrong order, other speaker's words, sentence break inside
        "登记一下我这边",
        "我们。处理",
        "帮您登记",
    ] {
        assert_eq!(
            x(&r, &call(&[("agent", -1, -1, said)])),
            Verdict::Fail,
            "{said}"
        );
    }
    // the whole pattern tolerates same-pinyin ASR spellings (回店 for 回电)
    assert_eq!(
        x(&r, &call(&[("agent", -1, -1, "我们会给您回店")])),
        Verdict::Pass
    );
    // the evidence is the whole matched sequence
    let card = r.score(&call(&[("agent", -1, -1, "嗯嗯这边马上帮您登记一下哈")]));
    let item = card.items.iter().find(|i| i.id == "x").unwrap();
    assert_eq!(item.evidence[0].matched, vec!["这边马上帮您登记"]);
    assert!(
        item.reason_en.contains("a commitment to act"),
        "{}",
        item.reason_en
    );
}

#[test]
fn token_patterns_use_word_classes_and_time_expressions() {
    let r = one_item(
        r#"
[phrases.contact]
phrases = ["回电", "联系您", "回复您"]
[patterns.dated_contact]
label = "a dated call-back"
homophones = "exact"
match = ["<deadline> _{0,3} contact"]
[patterns.verb_then_noun]
label = "a verb and its noun"
match = ["(帮您) <verb> <noun>"]
"#,
        "pass = { all = [ { say = { any = [\"dated_contact\"] } }, { say = { any = [\"verb_then_noun\"] } } ] }",
    );
    let t = |a: &str, b: &str| call(&[("agent", -1, -1, a), ("agent", -1, -1, b)]);
    assert_eq!(
        x(&r, &t("明天下午三点前给您回电", "我帮您修改地址")),
        Verdict::Pass
    );
    assert_eq!(
        x(&r, &t("下午3点钱给您回店", "我帮您修改地址")),
        Verdict::Pass
    );
    assert_eq!(x(&r, &t("24小时内联系您", "我帮您修改地址")), Verdict::Pass);
    // 稍后 is a time but not a deadline
    assert_eq!(x(&r, &t("稍后给您回电", "我帮您修改地址")), Verdict::Fail);
    assert_eq!(
        x(&r, &t("明天下午三点前给您回电", "我帮您看看")),
        Verdict::Fail
    );
}

#[test]
fn token_pattern_errors_point_into_the_pattern() {
    let err = |body: &str| {
        compile(&format!(
            "{body}\n[[item]]\nid = \"x\"\npass = {{ say = {{ any = [\"p\"] }} }}\n"
        ))
        .unwrap_err()
        .to_string()
    };
    let e = err("[phrases.a]\nphrases = [\"好\"]\n[patterns.p]\nmatch = [\"a (给您||为您)\"]");
    assert!(
        e.starts_with("t.toml:10:13:") && e.contains("empty word"),
        "{e}"
    );
    let e = err("[phrases.a]\nphrases = [\"好\"]\n[patterns.p]\nmatch = [\"a actoin_verb\"]");
    assert!(e.contains("unknown phrase set `actoin_verb`"), "{e}");
    let e = err("[phrases.a]\nphrases = [\"好\"]\n[patterns.p]\nmatch = [\"a p\"]");
    assert!(e.contains("nor itself"), "{e}");
    let e = err("[phrases.p]\nphrases = [\"好\"]\n[patterns.p]\nmatch = [\"p\"]");
    assert!(
        e.contains("both a phrase set and a pattern") && e.starts_with("t.toml:9:1:"),
        "{e}"
    );
}

#[test]
fn builtin_rubric_lints_clean_and_never_shows_a_regex() {
    let r = CompiledRubric::compile(rubric::load_builtin()).unwrap();
    assert!(r.lint.is_empty(), "{:#?}", r.lint);
    // The lint really checks: an unlabelled regex and a 151-character one are rejected.
    let long = format!("regex = '{}'", "a".repeat(151));
    let bad = rubric(&format!(
        "[[item]]\nid = \"x\"\npoints = 1\npass = {{ say = {{ {long} }} }}\n"
    ));
    assert_eq!(bad.lint.len(), 2, "{:#?}", bad.lint);
    assert!(bad.lint.iter().any(|p| p.contains("151 characters")));
    assert!(bad.lint.iter().any(|p| p.contains("needs a `label`")));
    let card = bad.score(&call(&[("agent", -1, -1, "你好")]));
    assert!(
        !card.items[0].reason.contains("aaa"),
        "{}",
        card.items[0].reason
    );
    assert!(
        !card.items[0].reason_en.contains("aaa"),
        "{}",
        card.items[0].reason_en
    );
}

#[test]
fn named_acts_are_found_by_name_for_other_stages() {
    let r = rubric(&format!(
        "{COMMITMENT}\n[matches.took_it_on]\nrole = \"agent\"\nlabel = \"ownership\"\nany = [\"commitment\"]\n[[item]]\nid = \"x\"\npass = {{ say = {{ use = \"took_it_on\" }} }}\n"
    ));
    let t = call(&[
        ("customer", -1, -1, "我们已经给您反馈了"),
        ("agent", -1, -1, "嗯嗯，这边马上帮您登记一下哈"),
    ]);
    let view = r.analyze(&t);
    let hits = r.find_act(&view, "took_it_on").unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        (hits[0].utterance, hits[0].matched.as_str()),
        (1, "这边马上帮您登记")
    );
    // character range in the normalised text (嗯嗯，|这边马上帮您登记)
    assert_eq!((hits[0].start, hits[0].end), (3, 11));
    assert!(r.find_act(&view, "no_such_act").is_none());
}

#[test]
fn explain_spells_out_the_patterns_and_sets_an_item_uses() {
    let r = CompiledRubric::compile(rubric::load_builtin()).unwrap();
    let ownership = &r.item("ownership").unwrap().def;
    let text = callqa::explain::explain_item(&r, ownership);
    let defined = text
        .split("Defined in this rubric:")
        .nth(1)
        .expect("a definitions section");
    // the named match, the pattern it uses with its sequences, and the vocabulary inside it
    assert!(
        defined.contains("match ownership_statement — a statement of ownership"),
        "{defined}"
    );
    assert!(
        defined.contains("pattern commitment — a commitment to act on the problem"),
        "{defined}"
    );
    assert!(
        defined.contains("self_reference commit_adverb"),
        "{defined}"
    );
    assert!(defined.contains("phrases action_verb"), "{defined}");
    assert!(callqa::rubric::pattern::REFERENCE.contains("<deadline>"));
}
