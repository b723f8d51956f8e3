/// Settings that shape behaviour; built once at start-up and passed down (no globals).
#[derive(Debug, Clone)]
pub struct Config {
    pub time_zone: chrono_tz::Tz,
    /// A session ends after this long without a request.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute_secs: i64,
    /// Failed sign-ins counted over this window.
    pub throttle_window_secs: i64,
    pub throttle_max_per_login: i64,
    pub throttle_max_per_ip: i64,
    /// From this day of the month on (1–28), the previous month's PAE pack is due (the
    /// leadership reviews around the 5th). `SALESOS_PAE_PACK_DAY`, default 3.
    pub pae_pack_day: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            time_zone: chrono_tz::Asia::Shanghai,
            session_idle_secs: 8 * 3600,
            session_absolute_secs: 7 * 24 * 3600,
            throttle_window_secs: 15 * 60,
            throttle_max_per_login: 5,
            throttle_max_per_ip: 30,
            pae_pack_day: std::env::var("SALESOS_PAE_PACK_DAY")
                .ok()
                .and_then(|d| d.trim().parse().ok())
                .filter(|d| (1..=28).contains(d))
                .unwrap_or(3),
        }
    }
}
