package seed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

var (
	ctx    = context.Background()
	now    = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	anyArg = mock.Anything
)

type fixture struct {
	users    *mocks.UserRepository
	students *mocks.StudentRepository
	hasher   *mocks.PasswordHasher
	svc      *seed.Service
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{users: mocks.NewUserRepository(t), students: mocks.NewStudentRepository(t), hasher: mocks.NewPasswordHasher(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	f.svc = seed.NewService(f.users, f.students, f.hasher, tx, clock)
	return f
}

func TestEnsureCreatesMissingAccountsAndLinksTheStudent(t *testing.T) {
	f := newFixture(t)
	notFound := fault.New(fault.NotFound, "User not found")
	f.users.EXPECT().GetByUsername(anyArg, mock.AnythingOfType("string")).Return(identity.User{}, notFound).Times(3)
	f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hash", nil).Times(3)
	f.students.EXPECT().List(anyArg, student.Filter{Query: "CS2026001"}, page.Request{Limit: page.MaxLimit}).
		Return(page.Result[student.Student]{}, nil).Once()
	f.students.EXPECT().Create(anyArg, mock.Anything).RunAndReturn(func(_ context.Context, s *student.Student) error {
		assert.Equal(t, "CS2026001", s.RollNo)
		s.ID = 42
		return nil
	}).Once()
	var created []identity.User
	f.users.EXPECT().Create(anyArg, mock.Anything).RunAndReturn(func(_ context.Context, u *identity.User) error {
		created = append(created, *u)
		return nil
	}).Times(3)

	n, err := f.svc.Ensure(ctx, seed.TestAccounts())
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	require.Len(t, created, 3)
	for _, u := range created {
		assert.Equal(t, "hash", u.PasswordHash)
		assert.Equal(t, u.Username+"@campus.edu", u.Email)
		assert.Equal(t, now, u.CreatedAt)
	}
	assert.Equal(t, identity.RoleAdmin, created[0].Role)
	require.NotNil(t, created[2].StudentID)
	assert.Equal(t, int64(42), *created[2].StudentID)
}

func TestEnsureLeavesExistingAccountsAlone(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().GetByUsername(anyArg, anyArg).Return(identity.User{ID: 1}, nil).Times(3)
	n, err := f.svc.Ensure(ctx, seed.TestAccounts())
	require.NoError(t, err)
	assert.Zero(t, n) // no Hash, no Create: the strict mocks would fail
}

func TestEnsureReusesAnExistingStudentRecordAndToleratesARace(t *testing.T) {
	f := newFixture(t)
	acc := seed.TestAccounts()[2]
	f.users.EXPECT().GetByUsername(anyArg, "student1").Return(identity.User{}, fault.New(fault.NotFound, "x")).Once()
	f.hasher.EXPECT().Hash(anyArg, "student123").Return("hash", nil).Once()
	f.students.EXPECT().List(anyArg, anyArg, anyArg).Return(page.Result[student.Student]{Items: []student.Student{
		{ID: 5, RollNo: "CS2026001X"}, {ID: 6, RollNo: "CS2026001"}}}, nil).Once()
	f.users.EXPECT().Create(anyArg, mock.Anything).RunAndReturn(func(_ context.Context, u *identity.User) error {
		assert.Equal(t, int64(6), *u.StudentID)
		return fault.New(fault.Conflict, "User with this username already exists") // another replica won
	}).Once()
	n, err := f.svc.Ensure(ctx, []seed.Account{acc})
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestEnsureReportsStoreFailures(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().GetByUsername(anyArg, "admin").Return(identity.User{}, errors.New("connection reset")).Once()
	_, err := f.svc.Ensure(ctx, seed.TestAccounts()[:1])
	require.ErrorContains(t, err, "look up admin")
}
