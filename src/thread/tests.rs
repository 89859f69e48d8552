use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_787_212_800 + minute * 60, 0).unwrap()
}

fn links<'a>(spec: &'a [(&'a str, Option<&'a str>, i64)]) -> Vec<Link<'a>> {
    spec.iter()
        .map(|&(uri, parent, minute)| Link {
            uri,
            parent,
            created_at: at(minute),
        })
        .collect()
}

/// Renders a forest as `uri(child child)` strings, so expectations read like the tree.
fn shape(spec: &[(&str, Option<&str>, i64)]) -> Vec<String> {
    let l = links(spec);
    let f = build_threads(&l);
    fn show(f: &Forest, l: &[Link<'_>], n: usize) -> String {
        let kids: Vec<String> = f.children[n].iter().map(|&c| show(f, l, c)).collect();
        if kids.is_empty() {
            l[n].uri.to_string()
        } else {
            format!("{}({})", l[n].uri, kids.join(" "))
        }
    }
    f.roots.iter().map(|&r| show(&f, &l, r)).collect()
}

#[test]
fn nests_replies_in_time_order() {
    let spec = [
        ("c", Some("a"), 30),
        ("a", None, 0),
        ("b", Some("a"), 10),
        ("d", Some("b"), 40),
        ("z", None, 5),
    ];
    assert_eq!(shape(&spec), ["a(b(d) c)", "z"]);
}

#[test]
fn reply_to_missing_parent_starts_its_own_thread() {
    let spec = [("a", None, 0), ("r", Some("gone"), 1), ("s", Some("r"), 2)];
    assert_eq!(shape(&spec), ["a", "r(s)"]);
}

#[test]
fn breaks_cycles_at_the_earliest_post() {
    let spec = [
        ("x", Some("z"), 3),
        ("y", Some("x"), 1),
        ("z", Some("y"), 2),
        ("w", Some("z"), 9),
    ];
    assert_eq!(shape(&spec), ["y(z(x w))"]);
    assert_eq!(shape(&[("self", Some("self"), 0)]), ["self"]);
}

#[test]
fn ties_in_time_are_broken_by_uri() {
    let spec = [("b", None, 0), ("a", None, 0)];
    assert_eq!(shape(&spec), ["a", "b"]);
}

#[test]
fn deep_chain_costs_no_stack() {
    let uris: Vec<String> = (0..100_000).map(|i| format!("p{i}")).collect();
    let l: Vec<Link<'_>> = uris
        .iter()
        .enumerate()
        .map(|(i, uri)| Link {
            uri,
            parent: i.checked_sub(1).map(|p| uris[p].as_str()),
            created_at: at(i as i64),
        })
        .collect();
    let f = build_threads(&l);
    assert_eq!(f.roots, [0]);
    let depths: Vec<usize> = f.preorder(0).map(|(_, d)| d).collect();
    assert_eq!(depths.len(), 100_000);
    assert_eq!(depths.last(), Some(&99_999));
    // The same chain closed into a cycle is cut once, at its earliest post.
    let mut cyclic = l.clone();
    cyclic[0].parent = Some(uris[99_999].as_str());
    let f = build_threads(&cyclic);
    assert_eq!(f.roots, [0]);
    assert_eq!(f.preorder(0).count(), 100_000);
}

fn arb_links() -> impl Strategy<Value = Vec<(String, Option<usize>, i64)>> {
    (1usize..40).prop_flat_map(|n| {
        proptest::collection::vec((proptest::option::of(0..n + 3), 0i64..20), n).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (p, t))| (format!("u{i}"), p, t))
                .collect()
        })
    })
}

fn canonical(spec: &[(String, Option<usize>, i64)]) -> Vec<(String, usize)> {
    let parents: Vec<Option<String>> = spec
        .iter()
        .map(|(_, p, _)| p.map(|p| format!("u{p}")))
        .collect();
    let l: Vec<Link<'_>> = spec
        .iter()
        .zip(&parents)
        .map(|((uri, _, t), p)| Link {
            uri,
            parent: p.as_deref(),
            created_at: at(*t),
        })
        .collect();
    let f = build_threads(&l);
    f.roots
        .iter()
        .flat_map(|&r| f.preorder(r))
        .map(|(i, d)| (l[i].uri.to_string(), d))
        .collect()
}

proptest! {
    #[test]
    fn every_post_once_and_order_independent(spec in arb_links(), seed in any::<u64>()) {
        let forward = canonical(&spec);
        prop_assert_eq!(forward.len(), spec.len());
        let mut uris: Vec<&String> = forward.iter().map(|(u, _)| u).collect();
        uris.sort();
        uris.dedup();
        prop_assert_eq!(uris.len(), spec.len());
        let mut shuffled = spec;
        let len = shuffled.len();
        for i in 0..len {
            let j = (seed as usize).wrapping_mul(31).wrapping_add(i * 17) % len;
            shuffled.swap(i, j);
        }
        prop_assert_eq!(canonical(&shuffled), forward);
    }
}
