using System.Text;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class RowSorterTests
{
    private static readonly string?[] KeyArns =
    [
        null,
        "arn:aws:kms:us-east-1:111122223333:key/a",
        "arn:aws:kms:us-east-1:111122223333:key/ab",
        "arn:aws:kms:us-east-1:111122223333:key/b",
        "arn:aws:kms:eu-west-1:111122223333:key/a",
        "arn:aws:kms:us-east-1:444455556666:key/Z",
        "arn:aws:kms:us-east-1:111122223333:key/é",
    ];

    // Rows of one day take the packed path (rank and time in one number), with runs of equal key and time of a few rows
    // (insertion sort) or, all at one instant and key, of every row; rows years apart take the general path.
    [Theory]
    [InlineData(1, Spread.OneDay)]
    [InlineData(2, Spread.OneDay)]
    [InlineData(3, Spread.OneDay)]
    [InlineData(4, Spread.YearsApart)]
    [InlineData(5, Spread.YearsApart)]
    [InlineData(6, Spread.OneInstantAndKey)]
    public void Sorts_rows_of_several_batches_exactly_as_the_file_order_comparer(int seed, Spread spread)
    {
        var random = new Random(seed);
        var sorter = new RowSorter();

        // The same sorter twice: what it learnt about the first rows' keys must not leak into the second sort.
        for (var round = 0; round < 2; round++)
        {
            var rows = RandomRows(random, batches: 5, rowsPerBatch: 300, spread);
            var expected = rows.ToArray();
            Array.Sort(expected, RowRefComparer.Instance);

            sorter.Sort(rows);

            Assert.Equal(Describe(expected), Describe(rows));
        }
    }

    [Fact]
    public void Leaves_zero_and_one_row_alone()
    {
        var sorter = new RowSorter();
        sorter.Sort(Span<RowRef>.Empty);
        var one = TestBatch.Rows(TestBatch.Of(new TestEvent("only", TestBatch.Utc(2024, 5, 1)))).ToArray();

        sorter.Sort(one);

        Assert.Equal("only", one[0].Batch.GetString(KmsSchema.EventId, one[0].Row));
    }

    public enum Spread
    {
        OneDay,
        YearsApart,
        OneInstantAndKey,
    }

    private static RowRef[] RandomRows(Random random, int batches, int rowsPerBatch, Spread spread)
    {
        var rows = new List<RowRef>();
        for (var b = 0; b < batches; b++)
        {
            var batch = new KmsEventBatch();
            var interned = b % 2 == 0; // interned ARNs share storage within a batch; the others are stored per row
            for (var i = 0; i < rowsPerBatch; i++)
            {
                // Few distinct times and ids drawn from a small set, so that equal keys, equal times and equal ids occur.
                var e = new TestEvent(RandomId(random), spread switch
                {
                    Spread.YearsApart => TestBatch.Utc(2020 + random.Next(3), 5, 1, 10, random.Next(3), random.Next(3)),
                    Spread.OneInstantAndKey => TestBatch.Utc(2024, 5, 1, 10, 0, 0),
                    _ => TestBatch.Utc(2024, 5, 1, 10, random.Next(3), random.Next(3)),
                });
                var row = TestBatch.Add(batch, e);
                var arn = spread == Spread.OneInstantAndKey ? KeyArns[1] : KeyArns[random.Next(KeyArns.Length)];
                if (arn is not null && interned)
                {
                    batch.SetUtf8Interned(KmsSchema.KeyArn, row, Encoding.UTF8.GetBytes(arn));
                }
                else if (arn is not null)
                {
                    batch.SetChars(KmsSchema.KeyArn, row, arn);
                }

                rows.Add(new RowRef(batch, row));
            }
        }

        return rows.OrderBy(_ => random.Next()).ToArray();
    }

    // Ids that differ early, ids that share their first 8 bytes or more, and ids shorter than 8 bytes.
    private static string RandomId(Random random)
    {
        var n = random.Next(20).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
        return random.Next(4) switch
        {
            0 => n + "-a",
            1 => "00000000-0000-" + n,
            2 => "00000000" + n[..1],
            _ => n[..1],
        };
    }

    // Rows that compare equal (same key, time and id) may come out in either order, so compare what they hold.
    private static string[] Describe(IEnumerable<RowRef> rows) =>
        rows.Select(r => $"{r.Batch.GetString(KmsSchema.KeyArn, r.Row) ?? "<null>"} {r.Batch.GetTimestamp(KmsSchema.EventTime, r.Row):O} {r.Batch.GetString(KmsSchema.EventId, r.Row)}").ToArray();
}
