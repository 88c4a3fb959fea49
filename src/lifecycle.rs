//! Stages that must not die quietly. Every long-running part of the
//! pipeline runs under [`Supervisor::spawn`]: if it panics, fails, or ends
//! before the daemon was told to stop, the supervisor records why and
//! trips, and the daemon shuts down with a non-zero exit (so systemd, or
//! any supervisor, restarts it). Never a half-dead process whose
//! `/healthz` says ok.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::error;

/// How a stage may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// Only when the daemon stops: ending earlier is a failure.
    AtShutdown,
    /// On its own too (a file source read to its end).
    Whenever,
}

/// Why a stage returned an error: whatever error type the stage has.
type StageError = Box<dyn std::error::Error + Send + Sync>;

/// Shared by every supervised stage.
#[derive(Clone, Default)]
pub struct Supervisor {
    tripped: CancellationToken,
    stopping: CancellationToken,
    failures: Arc<Mutex<Vec<String>>>,
}

impl Supervisor {
    /// A supervisor nothing has tripped.
    pub fn new() -> Supervisor {
        Supervisor::default()
    }

    /// Runs `fut` as stage `name`. A panic, an `Err`, or (for
    /// [`Ends::AtShutdown`]) an end before [`Supervisor::stopping`] trips it.
    pub fn spawn<F, E>(&self, name: &str, ends: Ends, fut: F) -> JoinHandle<()>
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let inner = tokio::spawn(async move { fut.await.map_err(StageError::from) });
        self.judge(name, ends, tokio::spawn(inner))
    }

    /// Watches a task already running as stage `name`, as [`Supervisor::spawn`] does.
    pub fn watch(&self, name: &str, ends: Ends, task: JoinHandle<()>) -> JoinHandle<()> {
        self.judge(name, ends, tokio::spawn(async move { task.await.map(Ok) }))
    }

    fn judge(
        &self,
        name: &str,
        ends: Ends,
        task: JoinHandle<Result<Result<(), StageError>, tokio::task::JoinError>>,
    ) -> JoinHandle<()> {
        let me = self.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let flat = match task.await {
                Ok(r) => r,
                Err(e) => Err(e),
            };
            let why = match flat {
                Ok(Ok(())) if ends == Ends::Whenever || me.stopping.is_cancelled() => return,
                Ok(Ok(())) => "stopped unexpectedly".to_owned(),
                Ok(Err(e)) => format!("failed: {e}"),
                Err(e) if e.is_panic() => format!("panicked: {}", panic_text(e.into_panic())),
                Err(e) => format!("was cancelled: {e}"),
            };
            me.fail(&name, &why);
        })
    }

    /// Records a failure of `stage` and trips.
    pub fn fail(&self, stage: &str, why: &str) {
        error!(
            stage,
            reason = why,
            "Pipeline stage failed; the daemon stops."
        );
        if let Ok(mut f) = self.failures.lock() {
            f.push(format!("{stage} {why}"));
        }
        self.tripped.cancel();
    }

    /// Resolves when a stage has failed.
    pub async fn tripped(&self) {
        self.tripped.cancelled().await;
    }

    /// From now on, stages may end (the daemon is stopping).
    pub fn stopping(&self) {
        self.stopping.cancel();
    }

    /// What failed, in order (empty if nothing did).
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), std::io::Error>;

    #[tokio::test]
    async fn a_panic_an_error_or_an_early_end_trips_it() {
        let s = Supervisor::new();
        s.spawn("engine", Ends::AtShutdown, async {
            if true {
                panic!("index out of range");
            }
            R::Ok(())
        })
        .await
        .unwrap();
        s.tripped().await;
        assert_eq!(s.failures(), vec!["engine panicked: index out of range"]);

        let s = Supervisor::new();
        s.spawn("writer", Ends::AtShutdown, async {
            R::Err(std::io::Error::other("disk gone"))
        })
        .await
        .unwrap();
        assert_eq!(s.failures(), vec!["writer failed: disk gone"]);

        let s = Supervisor::new();
        s.spawn("decode", Ends::AtShutdown, async { R::Ok(()) })
            .await
            .unwrap();
        assert_eq!(s.failures(), vec!["decode stopped unexpectedly"]);
    }

    #[tokio::test]
    async fn ending_when_allowed_is_not_a_failure() {
        let s = Supervisor::new();
        s.spawn("file", Ends::Whenever, async { R::Ok(()) })
            .await
            .unwrap();
        s.stopping();
        s.spawn("engine", Ends::AtShutdown, async { R::Ok(()) })
            .await
            .unwrap();
        assert!(s.failures().is_empty());
        // A task already running, watched.
        let h = tokio::spawn(async { panic!("boom") });
        s.watch("http", Ends::AtShutdown, h).await.unwrap();
        assert_eq!(s.failures(), vec!["http panicked: boom"]);
        // An error is a failure even while stopping.
        s.spawn("writer", Ends::AtShutdown, async {
            R::Err(std::io::Error::other("x"))
        })
        .await
        .unwrap();
        assert_eq!(
            s.failures(),
            vec!["http panicked: boom", "writer failed: x"]
        );
    }
}
