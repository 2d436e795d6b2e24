//! The core's in-context mechanisms on the host: turns taken in order,
//! single flight, closing, and the in-memory lock (waiters woken through
//! their newest waker, a steal that outlives the stolen guard).
#![cfg(not(target_arch = "wasm32"))]

mod host;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cross_tab_refresh::core::CrossContextLock;
use cross_tab_refresh::core::closing::CloseSignal;
use cross_tab_refresh::core::exclusion::Turns;
use cross_tab_refresh::core::flight::{Flight, Role};
use cross_tab_refresh::core::memory::{MemoryLock, MemoryLockOptions};
use futures::executor::block_on;
use host::*;

#[test]
fn turns_are_taken_in_order_and_a_dropped_waiter_leaves_the_line() {
    let turns = Turns::default();
    let first_turn = turns.try_take().expect("free");
    assert!(turns.try_take().is_none(), "held");
    let mut second = pin!(turns.wait());
    let mut third = pin!(turns.wait());
    assert!(poll_once(second.as_mut()).is_pending());
    assert!(poll_once(third.as_mut()).is_pending());
    drop(first_turn);
    // The third in line cannot jump the second.
    assert!(poll_once(third.as_mut()).is_pending());
    let second_turn = match poll_once(second.as_mut()) {
        Poll::Ready(turn) => turn,
        Poll::Pending => panic!("the second in line goes next"),
    };
    drop(second_turn);
    assert!(poll_once(third.as_mut()).is_ready());
}

#[test]
fn a_dropped_waiter_passes_the_turn_on() {
    let turns = Turns::default();
    let held = turns.try_take().unwrap();
    let mut gone = Box::pin(turns.wait());
    let mut next = pin!(turns.wait());
    assert!(poll_once(gone.as_mut()).is_pending());
    assert!(poll_once(next.as_mut()).is_pending());
    drop(held);
    drop(gone);
    let turn = poll_once(next.as_mut());
    assert!(turn.is_ready());
    assert!(turns.is_held());
}

#[test]
fn a_stolen_turn_releases_nothing() {
    let turns = Turns::default();
    let old = turns.try_take().unwrap();
    let thief = turns.steal();
    drop(old);
    assert!(turns.is_held(), "the thief still holds");
    drop(thief);
    assert!(!turns.is_held());
}

#[test]
fn single_flight_shares_one_run_and_survives_a_dropped_leader() {
    let flight = Flight::default();
    let Role::Lead(ticket) = flight.join() else {
        panic!("the first caller leads")
    };
    let Role::Follow(id) = flight.join() else {
        panic!("the second follows")
    };
    let mut waiting = Box::pin(flight.result_of(id));
    assert!(poll_once(waiting.as_mut()).is_pending());
    ticket.publish(std::rc::Rc::new(7u32));
    match poll_once(waiting.as_mut()) {
        Poll::Ready(Some(result)) => assert_eq!(result.downcast_ref::<u32>(), Some(&7)),
        _ => panic!("the follower gets the leader's result"),
    }
    // A leader dropped without a result ends the run: followers try again.
    let Role::Lead(ticket) = flight.join() else {
        panic!("a new run")
    };
    let Role::Follow(id) = flight.join() else {
        panic!()
    };
    drop(ticket);
    assert!(matches!(
        poll_once(pin!(flight.result_of(id))),
        Poll::Ready(None)
    ));
    assert!(matches!(flight.join(), Role::Lead(_)));
}

#[test]
fn closing_ends_every_wait() {
    let closing = CloseSignal::default();
    let mut waits: Vec<_> = (0..3).map(|_| Box::pin(closing.closed())).collect();
    for wait in &mut waits {
        assert!(poll_once(wait.as_mut()).is_pending());
    }
    closing.close();
    assert!(closing.is_closed());
    for wait in &mut waits {
        assert!(poll_once(wait.as_mut()).is_ready());
    }
}

mod counting {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    /// A waker that counts its wakes.
    pub struct Count(pub AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    pub fn wakes(count: &Count) -> usize {
        count.0.load(Ordering::SeqCst)
    }
}

fn poll_with<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

#[test]
fn a_wait_for_close_is_listed_once_and_leaves_when_dropped() {
    let closing = CloseSignal::default();
    let mut wait = Box::pin(closing.closed());
    let mut others = [Box::pin(closing.closed()), Box::pin(closing.closed())];
    assert!(poll_once(wait.as_mut()).is_pending());
    assert!(poll_once(wait.as_mut()).is_pending());
    for other in &mut others {
        assert!(poll_once(other.as_mut()).is_pending());
    }
    assert_eq!(closing.waits(), 3, "a wait polled twice is listed once");
    drop(wait);
    assert_eq!(closing.waits(), 2, "a dropped wait leaves the list, alone");
    drop(others);
    assert_eq!(closing.waits(), 0);
}

#[test]
fn a_waiter_polled_again_is_woken_through_its_newest_waker() {
    let turns = Turns::default();
    let held = turns.try_take().unwrap();
    let mut wait = Box::pin(turns.wait());
    let (old, old_waker) = counting::waker();
    let (new, new_waker) = counting::waker();
    assert!(poll_with(wait.as_mut(), &old_waker).is_pending());
    assert!(poll_with(wait.as_mut(), &new_waker).is_pending());
    drop(held);
    assert_eq!(counting::wakes(&new), 1, "the newest waker is woken");
    assert_eq!(counting::wakes(&old), 0);
}

#[test]
fn the_memory_lock_hands_over_in_order_and_a_steal_outlives_the_stolen_guard() {
    let lock = MemoryLock::default();
    block_on(async {
        let first = lock.acquire(WAIT).await.unwrap();
        assert!(lock.is_held());
        let steal = MemoryLockOptions {
            steal: true,
            if_free: false,
        };
        let thief = lock.acquire(steal).await.unwrap();
        drop(first);
        assert!(lock.is_held(), "the stolen guard releases nothing");
        let again = lock.acquire(steal).await.unwrap();
        drop(thief);
        assert!(lock.is_held(), "nor does the second one stolen from");
        drop(again);
        assert!(!lock.is_held());
    });
    // A waiter woken and then dropped passes the wake on.
    let held = block_on(lock.acquire(WAIT)).unwrap();
    let mut gone = Box::pin(lock.acquire(WAIT));
    let mut next = Box::pin(lock.acquire(WAIT));
    let (gone_count, gone_waker) = counting::waker();
    let (next_count, next_waker) = counting::waker();
    assert!(poll_with(gone.as_mut(), &gone_waker).is_pending());
    assert!(poll_with(next.as_mut(), &next_waker).is_pending());
    drop(held);
    assert_eq!(counting::wakes(&gone_count), 1);
    drop(gone);
    assert_eq!(counting::wakes(&next_count), 1, "the next waiter is woken");
    assert!(poll_with(next.as_mut(), &next_waker).is_ready());
}
