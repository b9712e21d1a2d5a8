namespace Pipeline.Generation;

/// <summary>
/// Plans every record copy delivered in one region on one delivery day. Events are planned per delivery slot
/// (every 5 minutes) and dated up to 15 minutes before it, so files delivered just after midnight carry events of
/// the previous UTC day, as real CloudTrail files do.
/// </summary>
internal sealed class DayPlanner
{
    public const int SlotsPerDay = 288;
    public const double BackgroundPerKms = 7.0 / 3.0; // KMS ~30% of records by count
    private const double DuplicateRate = 0.001;
    private static readonly long SlotTicks = TimeSpan.FromMinutes(5).Ticks;
    private static readonly double[] SlotCumulative = BuildDiurnalTable();

    /// <summary>Error rate of the quiet background: rare, never a burst (AccessDenied bursts are planted).</summary>
    private const double QuietErrorRate = 0.005;

    /// <summary>Non-KMS calls per region and day the scenario adds in the coverage-gap account.</summary>
    private const int GapTrickle = 12;

    private readonly Population _population;
    private readonly double _scale;
    private readonly ScenarioPlan? _scenario;

    public DayPlanner(Population population, double scale, ScenarioPlan? scenario = null)
    {
        _population = population;
        _scale = scale;
        _scenario = scenario;
    }

    /// <summary>Weekday/weekend seasonality of all traffic: weekends are quieter.</summary>
    public static double Season(DateOnly day) => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? WeekendFactor : 1.0;

    public const double WeekendFactor = 0.55;

    public static DateTime SlotTime(DateOnly day, int slot) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddTicks(slot * SlotTicks);

    public List<PlannedEvent> Plan(long seed, int region, DateOnly day)
    {
        var rng = GenRandom.Derive(seed, 2, region, day.DayNumber);
        var events = new List<PlannedEvent>();
        var season = Season(day);
        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks;

        double kmsRate = 0;
        foreach (var p in _population.Principals)
        {
            if (!p.Regions.Contains(region) || (_scenario is not null && _scenario.IsMuted(p)))
            {
                continue;
            }

            // Every rate scales with the size target so that size is linear in the scale (see SizeCalibrator).
            var rate = p.KmsDailyRate * season * _scale;
            kmsRate += rate;
            var count = rng.Poisson(rate);
            var keys = p.KeysByRegion[region];
            for (var i = 0; i < count; i++)
            {
                var op = _scenario is null ? OperationMix.Pick(p.Profile, rng) : OperationMix.PickQuiet(p.Profile, rng);
                var key = OperationMix.NamesKey(op) ? (short)rng.Next(keys.Length) : (short)-1;
                var keyAccount = key >= 0 ? keys[key].Account.Index : (p.Account?.Index ?? 0);
                var error = _scenario is null ? ErrorMode.Random : (rng.Chance(QuietErrorRate) ? ErrorMode.AccessDenied : ErrorMode.None);
                AddKms(events, rng, p, op, key, keyAccount, dayStart, error, 0, null, duplicates: true);
            }
        }

        var callers = _population.BackgroundCallers.Where(p => p.Regions.Contains(region) || p.Kind == PrincipalKind.Root).ToArray();
        var background = rng.Poisson(kmsRate * BackgroundPerKms);
        for (var i = 0; i < background; i++)
        {
            var p = callers[rng.Next(callers.Length)];
            var e = NewEvent(rng, dayStart, p.Account!.Index);
            e.IsKms = false;
            e.Operation = (byte)BackgroundCatalog.PickTemplate(rng, region);
            e.Principal = p.Index;
            e.Key = -1;
            AddWithDuplicates(events, rng, e);
        }

        if (_scenario is not null)
        {
            // A steady trickle of non-KMS calls in the gap account, so its trail delivers files on the report day
            // whatever the size target (the gap is "files but no KMS records", not "no files").
            var gapCallers = _scenario.GapCallers;
            for (var i = 0; i < GapTrickle; i++)
            {
                var p = gapCallers[rng.Next(gapCallers.Count)];
                var e = NewEvent(rng, dayStart, p.Account!.Index);
                e.IsKms = false;
                e.Operation = (byte)BackgroundCatalog.PickTemplate(rng, region);
                e.Principal = p.Index;
                e.Key = -1;
                AddWithDuplicates(events, rng, e);
            }

            _scenario.AddEvents(this, events, seed, region, day);
            if (day == _scenario.ReportDate)
            {
                // The coverage gap: this account's trail still delivers files on the report day, but no KMS records.
                events.RemoveAll(e => e.IsKms && e.Recipient == _scenario.GapAccount);
            }
        }

        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            e.Sequence = i;
            events[i] = e;
        }

        events.Sort(static (a, b) =>
        {
            var c = a.Recipient.CompareTo(b.Recipient);
            if (c == 0) c = a.Slot.CompareTo(b.Slot);
            if (c == 0) c = a.Ticks.CompareTo(b.Ticks);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });
        return events;
    }

    /// <summary>
    /// Plans one KMS call and the copies the organization trail delivers. <paramref name="slot"/> pins the delivery
    /// slot (planted incidents happen in working hours); <paramref name="duplicates"/> off keeps planted counts exact.
    /// </summary>
    internal void AddKms(List<PlannedEvent> events, GenRandom rng, Principal p, KmsOperation op, short key, int keyAccount, long dayStart,
        ErrorMode error, short stream, int? slot, bool duplicates)
    {
        var callerAccount = p.Account?.Index;
        var e = NewEvent(rng, dayStart, callerAccount ?? keyAccount);
        if (slot is int pinned)
        {
            e.Ticks += (pinned - e.Slot) * SlotTicks;
            e.Slot = pinned;
        }

        e.IsKms = true;
        e.Operation = (byte)op;
        e.Principal = p.Index;
        e.Key = key;
        e.Error = error;
        e.Stream = stream;

        if (callerAccount is null)
        {
            // Caller outside the organization: only the key owner's copy reaches this archive.
            e.Recipient = (short)keyAccount;
            e.SharedEventId = rng.NextGuid();
        }
        else if (keyAccount != callerAccount && p.Kind != PrincipalKind.AwsService)
        {
            // Cross-account call: the organization trail delivers it to both accounts, one eventID each.
            e.SharedEventId = rng.NextGuid();
            var ownerCopy = e;
            ownerCopy.EventId = rng.NextGuid();
            ownerCopy.Recipient = (short)keyAccount;
            ownerCopy.Slot = Math.Min(SlotsPerDay - 1, e.Slot + rng.Next(2));
            Add(events, rng, ownerCopy, duplicates);
        }

        Add(events, rng, e, duplicates);
    }

    private static void Add(List<PlannedEvent> events, GenRandom rng, PlannedEvent e, bool duplicates)
    {
        if (duplicates)
        {
            AddWithDuplicates(events, rng, e);
        }
        else
        {
            events.Add(e);
        }
    }

    private PlannedEvent NewEvent(GenRandom rng, long dayStart, int recipient)
    {
        var slot = PickSlot(rng);
        // Delivery lag: mostly a few minutes, up to 15.
        var lagSeconds = 20 + (int)(Math.Pow(rng.NextDouble(), 2) * 880);
        var ticks = dayStart + (slot * SlotTicks) - (lagSeconds * TimeSpan.TicksPerSecond);
        if (rng.Chance(0.02))
        {
            ticks += rng.Next(1000) * TimeSpan.TicksPerMillisecond; // a few records carry a fraction
        }

        return new PlannedEvent
        {
            Ticks = ticks,
            Slot = slot,
            Recipient = (short)recipient,
            Detail = rng.NextULong(),
            EventId = rng.NextGuid(),
        };
    }

    private static void AddWithDuplicates(List<PlannedEvent> events, GenRandom rng, PlannedEvent e)
    {
        events.Add(e);
        if (rng.Chance(DuplicateRate))
        {
            var copy = e;
            copy.IsDuplicateCopy = true;
            copy.Slot = Math.Min(SlotsPerDay - 1, e.Slot + rng.Next(3)); // same file or a later one
            events.Add(copy);
        }
    }

    private static int PickSlot(GenRandom rng)
    {
        var u = rng.NextDouble() * SlotCumulative[^1];
        var i = Array.BinarySearch(SlotCumulative, u);
        return Math.Clamp(i < 0 ? ~i : i, 0, SlotsPerDay - 1);
    }

    private static double[] BuildDiurnalTable()
    {
        var table = new double[SlotsPerDay];
        double sum = 0;
        for (var i = 0; i < SlotsPerDay; i++)
        {
            var hour = i / 12.0;
            sum += 1.0 + (0.6 * Math.Cos((hour - 14) / 24 * 2 * Math.PI)); // busiest mid-afternoon UTC
            table[i] = sum;
        }

        return table;
    }
}
