//! The server on the shared stores, Redis and PostgreSQL, with two processes on one store: no lost update,
//! pushes between processes, kept answers, the state routes, timers fired once and after a process was killed.
//!
//! They need the store servers: `./build.sh test` starts Redis and PostgreSQL in temporary directories, sets
//! EVENTFLOW_TEST_REDIS and EVENTFLOW_TEST_POSTGRES, and runs these tests (a plain `cargo test` skips them).
#![cfg(not(target_arch = "wasm32"))]

mod server_support;

macro_rules! shared_store_tests {
    ($store:ident, $var:literal, $needs:literal) => {
        mod $store {
            use super::server_support::*;

            #[tokio::test]
            #[ignore = $needs]
            async fn fifty_concurrent_turns_over_two_processes_lose_no_update() {
                let (a, b) = two_processes(&store_url($var));
                fifty_concurrent_turns(&[&a, &b], "counter").await;
            }

            #[tokio::test]
            #[ignore = $needs]
            async fn an_event_posted_to_one_process_reaches_a_stream_held_by_another() {
                let (a, b) = two_processes(&store_url($var));
                event_reaches_a_stream(&a, &b, "counter").await;
                event_reaches_a_stream(&b, &a, "counter").await;
            }

            #[tokio::test]
            #[ignore = $needs]
            async fn processes_share_sessions_and_kept_answers() {
                processes_share_sessions_and_answers(&store_url($var)).await;
            }

            #[tokio::test]
            #[ignore = $needs]
            async fn state_routes_read_back_what_they_store() {
                state_routes(&store_url($var)).await;
            }

            #[tokio::test]
            #[ignore = $needs]
            async fn timers_fire_once_and_survive_a_killed_process() {
                timers_fire_once_across_processes_and_survive_a_kill(&store_url($var)).await;
            }
        }
    };
}

shared_store_tests!(redis, "EVENTFLOW_TEST_REDIS", "needs Redis: ./build.sh test starts one");
shared_store_tests!(postgres, "EVENTFLOW_TEST_POSTGRES", "needs PostgreSQL: ./build.sh test starts one");
