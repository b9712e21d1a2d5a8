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

    private readonly Population _population;
    private readonly double _scale;

    public DayPlanner(Population population, double scale)
    {
        _population = population;
        _scale = scale;
    }

    /// <summary>Weekday/weekend seasonality of all traffic: weekends are quieter.</summary>
    public static double Season(DateOnly day) => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.55 : 1.0;

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
            if (!p.Regions.Contains(region))
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
                var op = OperationMix.Pick(p.Profile, rng);
                var key = OperationMix.NamesKey(op) ? (short)rng.Next(keys.Length) : (short)-1;
                AddKms(events, rng, p, op, key, keys, dayStart);
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

    private void AddKms(List<PlannedEvent> events, GenRandom rng, Principal p, KmsOperation op, short key, KmsKey[] keys, long dayStart)
    {
        var keyAccount = key >= 0 ? keys[key].Account.Index : (p.Account?.Index ?? 0);
        var callerAccount = p.Account?.Index;
        var e = NewEvent(rng, dayStart, callerAccount ?? keyAccount);
        e.IsKms = true;
        e.Operation = (byte)op;
        e.Principal = p.Index;
        e.Key = key;

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
            AddWithDuplicates(events, rng, ownerCopy);
        }

        AddWithDuplicates(events, rng, e);
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
