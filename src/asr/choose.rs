//! Which speech recogniser a run uses, chosen from what the caller asks for
//! ([`TranscriberChoice`]) — so the command line, tests and any other front
//! end get the same engine with the same settings, and the binary never
//! builds a transcriber itself.
//!
//! Transcripts a vendor supplies are not a recogniser (the pipeline reads
//! them as files, hashed, without decoding speech) and are not chosen here.

use std::path::PathBuf;

use crate::asr::{AsrError, FixtureTranscriber, Transcriber, WhisperSettings, WhisperTranscriber};
use crate::models::{self, error::ModelError};
use crate::transcript::Role;

/// What to recognise speech with.
#[derive(Debug, Clone)]
pub enum TranscriberChoice {
    /// whisper.cpp with `model` (a cached name such as `base-q8_0`, or a
    /// ggml file), `parallel_windows` windows decoded at once with
    /// `threads` threads each (keep the product at or under the cores).
    Whisper {
        model: String,
        threads: usize,
        parallel_windows: usize,
    },
    /// Replays `<call_id>.json` transcripts from a folder as if recognised
    /// (tests and demonstrations without model weights); stereo channel 0
    /// is the agent.
    Fixture { transcripts_dir: PathBuf },
}

/// A recogniser ready to use, and what it works from — the model file, or
/// the folder of replayed transcripts — for the caller's log line.
pub struct ChosenTranscriber {
    pub transcriber: Box<dyn Transcriber>,
    pub source: PathBuf,
}

/// Why no recogniser could be made. The cause (the model cache's or
/// whisper.cpp's own message, naming the file and the fix) is kept as the
/// error's source.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error(
        "--model {model}: no usable Whisper model; `callqa models list` shows the cached ones"
    )]
    Model {
        model: String,
        #[source]
        source: ModelError,
    },
    #[error("--model {model}: whisper.cpp cannot use this model")]
    Load {
        model: String,
        #[source]
        source: AsrError,
    },
}

/// Makes the recogniser `choice` asks for. Whisper models are found and
/// verified in the model cache (or at their path) before whisper.cpp loads them.
pub fn choose_transcriber(choice: &TranscriberChoice) -> Result<ChosenTranscriber, ChooseError> {
    match choice {
        TranscriberChoice::Whisper {
            model,
            threads,
            parallel_windows,
        } => {
            let info = models::resolve(model).map_err(|source| ChooseError::Model {
                model: model.clone(),
                source,
            })?;
            let settings = WhisperSettings {
                model: model.clone(),
                threads: *threads,
                parallel_windows: *parallel_windows,
                ..WhisperSettings::default()
            };
            let whisper = WhisperTranscriber::with_model(info, settings).map_err(|source| {
                ChooseError::Load {
                    model: model.clone(),
                    source,
                }
            })?;
            let source = whisper.model().path.clone();
            Ok(ChosenTranscriber {
                transcriber: Box::new(whisper),
                source,
            })
        }
        TranscriberChoice::Fixture { transcripts_dir } => Ok(ChosenTranscriber {
            transcriber: Box::new(FixtureTranscriber {
                transcripts_dir: transcripts_dir.clone(),
                channel_roles: vec![Role::Agent, Role::Customer],
            }),
            source: transcripts_dir.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_file_keeps_the_cache_error_as_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.bin");
        let choice = TranscriberChoice::Whisper {
            model: missing.display().to_string(),
            threads: 1,
            parallel_windows: 1,
        };
        let Err(error) = choose_transcriber(&choice) else {
            panic!("a missing model file cannot be loaded");
        };
        assert!(error.to_string().starts_with("--model "), "{error}");
        let cause = std::error::Error::source(&error)
            .expect("the cause is kept")
            .to_string();
        assert!(cause.contains("missing.bin does not exist"), "{cause}");
    }

    #[test]
    fn a_fixture_folder_replays_its_transcripts() {
        let chosen = choose_transcriber(&TranscriberChoice::Fixture {
            transcripts_dir: PathBuf::from("fixtures/golden"),
        })
        .unwrap();
        assert!(chosen.transcriber.replays_whole_call());
        assert_eq!(chosen.source, PathBuf::from("fixtures/golden"));
    }
}
