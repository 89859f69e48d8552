//! The bodies of the next batch of staged items, read and decoded on a thread of their own
//! while the writer writes the batch before. Writing is SQLite's work on one core, and the
//! other was idle: reading a body back and decoding it was a tenth of a 1M-post collect's
//! writing thread (issue 10).
//!
//! Which bodies a batch reads is fixed once membership is decided (the staged rows and the
//! selection do not change while a source is written), so the writer asks for the places of
//! the next batch ahead of the batch itself. What the archive says of a known post is still
//! read with its batch, when it is written. A body not decoded ahead (the places disagreed,
//! the thread stopped) is read on the writer's thread, as before.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

use super::bodies::{Place, Reader};
use crate::model::Item;

/// A batch of bodies decoded: each with its place.
type Decoded = Vec<(Place, Result<Item>)>;

/// What the thread is given: places to read, or what the writer is done with, to be freed on
/// the thread that allocated most of it (freeing another thread's blocks goes through the
/// allocator's slower, deferred path: 2% of the writing thread, and 15% of this one
/// collecting what the writer freed).
enum Job {
    Read(Vec<Place>),
    Drop(Box<dyn Send>),
}

/// The writer's end of the decoding thread.
pub(crate) struct Prefetch {
    requests: Option<Sender<Job>>,
    decoded: Receiver<Decoded>,
    thread: Option<JoinHandle<()>>,
    /// Bodies received and not taken yet, in the order asked.
    ready: VecDeque<(Place, Result<Item>)>,
    /// Batches asked for and not received yet.
    in_flight: usize,
}

impl Prefetch {
    /// Starts the thread, reading with `reader`.
    pub(crate) fn start(mut reader: Reader) -> Result<Self> {
        let (requests, jobs) = std::sync::mpsc::channel::<Job>();
        let (done, decoded) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("bodies".into())
            .spawn(move || {
                for job in jobs {
                    let places = match job {
                        Job::Read(places) => places,
                        Job::Drop(spent) => {
                            drop(spent);
                            continue;
                        }
                    };
                    let batch: Decoded = places
                        .into_iter()
                        .map(|place| (place, reader.read(place).and_then(super::read_back)))
                        .collect();
                    if done.send(batch).is_err() {
                        break;
                    }
                }
            })
            .context("cannot start a thread to read staged items back")?;
        Ok(Prefetch {
            requests: Some(requests),
            decoded,
            thread: Some(thread),
            ready: VecDeque::new(),
            in_flight: 0,
        })
    }

    /// Batches asked for and not received yet.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Asks for the bodies at `places`, in this order.
    pub(crate) fn ask(&mut self, places: Vec<Place>) {
        if let Some(requests) = &self.requests
            && requests.send(Job::Read(places)).is_ok()
        {
            self.in_flight += 1;
        }
    }

    /// Gives back what the writer is done with (a batch written), to be freed on the thread.
    pub(crate) fn discard(&mut self, spent: impl Send + 'static) {
        if let Some(requests) = &self.requests {
            // The thread is gone (it panicked): freed here, as the send hands it back.
            let _ = requests.send(Job::Drop(Box::new(spent)));
        }
    }

    /// The item at `place`, if it was asked for next; bodies asked for before it and not taken
    /// are dropped. `None`: the writer reads it itself.
    pub(crate) fn take(&mut self, place: Place) -> Option<Result<Item>> {
        loop {
            while let Some((at, item)) = self.ready.pop_front() {
                if at == place {
                    return Some(item);
                }
            }
            if self.in_flight == 0 {
                return None;
            }
            self.in_flight -= 1;
            // The thread ended (it panicked): nothing more comes.
            let batch = self.decoded.recv().ok()?;
            self.ready.extend(batch);
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Closing the requests ends the thread once its batch is decoded.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bodies::{Bodies, Parts};
    use super::*;
    use crate::model::{Skip, SkipReason};

    fn uri_of(item: Option<Result<Item>>) -> Option<String> {
        match item?.unwrap() {
            Item::Skipped(skip) => skip.uri,
            _ => panic!("not the item staged"),
        }
    }

    /// Bodies come back decoded in the order asked; taking one further on drops those before
    /// it, and one not asked for (or dropped) is left to the writer.
    #[test]
    fn bodies_come_decoded_in_the_order_asked() {
        let mut bodies = Bodies::new().unwrap();
        let places: Vec<Place> = (0..10)
            .map(|n| {
                let item = Item::Skipped(Skip {
                    uri: Some(format!("https://a.example/{n}")),
                    reason: SkipReason::NotPublic,
                });
                let encoded = postcard::to_allocvec(&item).unwrap();
                let parts = Parts {
                    encoded: &encoded,
                    text: "",
                    html: "",
                    source_json: "",
                };
                bodies.append(&parts).unwrap()
            })
            .collect();
        let mut prefetch = Prefetch::start(bodies.reader().unwrap()).unwrap();
        prefetch.ask(places[..4].to_vec());
        prefetch.ask(places[4..8].to_vec());
        assert_eq!(prefetch.in_flight(), 2);
        let uri = |n: usize| Some(format!("https://a.example/{n}"));
        assert_eq!(uri_of(prefetch.take(places[0])), uri(0));
        assert_eq!(uri_of(prefetch.take(places[5])), uri(5));
        assert_eq!(prefetch.in_flight(), 0);
        assert_eq!(uri_of(prefetch.take(places[1])), None);
        assert_eq!(uri_of(prefetch.take(places[9])), None);
        // The writer's own reading still works beside the thread's.
        assert!(bodies.read(places[9]).is_ok());
    }
}
